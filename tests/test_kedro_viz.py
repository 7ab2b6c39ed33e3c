"""``make viz``: ``kedro viz build`` renders every pipeline of the project, offline.

The build runs in a copy of the Kedro project's configuration (it writes ``build/`` in the
working folder) with HTTP(S) proxies pointing at a closed loopback port, so any request to the
network made through ``requests``/``urllib`` fails: the build must not need one.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

from tests.support.paths import KEDRO_PROJECT


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])  # closed again when the block ends


def test_kedro_viz_build_renders_every_pipeline_offline(tmp_path: Path) -> None:
    from kedro.framework.project import pipelines
    from kedro.framework.startup import bootstrap_project

    project = tmp_path / "project"
    project.mkdir()
    shutil.copytree(
        KEDRO_PROJECT / "conf", project / "conf", ignore=shutil.ignore_patterns("local")
    )
    (project / "conf" / "local").mkdir()
    shutil.copy(KEDRO_PROJECT / "pyproject.toml", project / "pyproject.toml")
    shutil.copytree(
        KEDRO_PROJECT / "src", project / "src", ignore=shutil.ignore_patterns("__pycache__")
    )
    proxy = f"http://127.0.0.1:{_closed_port()}"
    env = {
        **os.environ,
        "ENERGIEWATCH_DATA_DIR": str(tmp_path / "data"),
        "KEDRO_DISABLE_TELEMETRY": "true",
        "DO_NOT_TRACK": "1",
        "HTTP_PROXY": proxy,
        "HTTPS_PROXY": proxy,
        "http_proxy": proxy,
        "https_proxy": proxy,
        "NO_PROXY": "",
        "no_proxy": "",
    }
    kedro = Path(sys.executable).with_name("kedro")
    done = subprocess.run(
        [str(kedro), "viz", "build"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-3000:]
    assert "Failed" not in output and "ERROR" not in output, output[-3000:]
    main = json.loads((project / "build" / "api" / "main").read_text(encoding="utf-8"))
    assert (project / "build" / "index.html").exists()

    bootstrap_project(KEDRO_PROJECT)
    registered = set(pipelines)
    shown = {p["id"] for p in main["pipelines"]}
    assert registered <= shown, registered - shown
    node_names = {n["name"] for n in main["nodes"] if n["type"] == "task"}
    expected = {node.name for node in pipelines["__default__"].nodes}
    assert expected <= node_names, expected - node_names
