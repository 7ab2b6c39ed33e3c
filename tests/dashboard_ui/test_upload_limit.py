"""The upload limit is enforced by the SERVER (issue #13 item 9): ``streamlit run
dashboard_ui/app.py`` started from another folder reads ``dashboard_ui/.streamlit/config.toml``
(``server.maxUploadSize`` = ``dashboard.limits.max_upload_mb``, usage statistics off) and refuses
an upload beyond it whatever the browser does.

The test speaks Streamlit's own protocol on loopback: the health endpoint sets the XSRF cookie, a websocket
session is opened and its id read from the ``new_session`` message, then files are PUT to the
session's upload endpoint as the browser would.
"""

from __future__ import annotations

import sys
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.support.paths import KEDRO_PROJECT, REPO_ROOT
from tests.support.servers import free_port, http_ok, start, stop, wait_until

APP_FILE = REPO_ROOT / "dashboard_ui" / "app.py"
CONFIG_FILE = REPO_ROOT / "dashboard_ui" / ".streamlit" / "config.toml"
MB = 1024 * 1024


def test_the_server_limit_is_the_dashboard_limit() -> None:
    config = tomllib.loads(CONFIG_FILE.read_text(encoding="utf-8"))
    parameters = yaml.safe_load(
        (KEDRO_PROJECT / "conf" / "base" / "parameters_dashboard.yml").read_text(encoding="utf-8")
    )
    assert config["server"]["maxUploadSize"] == parameters["dashboard"]["limits"]["max_upload_mb"]
    assert config["browser"]["gatherUsageStats"] is False


@pytest.fixture
def streamlit_server(dashboard_data: Path, tmp_path: Path) -> Iterator[str]:
    port = free_port()
    process = start(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(APP_FILE),
            f"--server.port={port}",
            "--server.fileWatcherType=none",
        ],
        tmp_path / "streamlit.log",
        cwd=tmp_path,  # not the repository: the app's own config must apply
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: http_ok(f"{url}/_stcore/health"), "streamlit", 120, process)
        yield url
    finally:
        stop(process)


@contextmanager
def _session(url: str, cookie: str) -> Iterator[Any]:
    """An open websocket session (uploads need it alive): its ``new_session`` message."""
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
    from websockets.sync.client import connect

    rerun = BackMsg()
    rerun.rerun_script.SetInParent()
    with connect(
        url.replace("http://", "ws://") + "/_stcore/stream",
        subprotocols=["streamlit", cookie],  # type: ignore[list-item]
        additional_headers={"Origin": url, "Cookie": f"_streamlit_xsrf={cookie}"},
        open_timeout=60,
        max_size=None,
    ) as socket:
        socket.send(rerun.SerializeToString())
        for _ in range(200):
            message = ForwardMsg()
            message.ParseFromString(socket.recv(timeout=120))
            if message.WhichOneof("type") == "new_session":
                yield message.new_session
                return
        raise AssertionError("no new_session message")


def test_an_upload_beyond_the_limit_is_refused_by_the_server(streamlit_server: str) -> None:
    url = streamlit_server
    with httpx.Client(base_url=url, timeout=120) as http:
        assert http.get("/_stcore/health").status_code == 200  # sets the XSRF cookie
        cookie = http.cookies["_streamlit_xsrf"]
        with _session(url, cookie) as new_session:
            check_uploads(http, cookie, new_session)


def check_uploads(http: httpx.Client, cookie: str, new_session: Any) -> None:
    assert new_session.config.gather_usage_stats is False
    session_id = new_session.initialize.session_id
    assert session_id
    headers = {"X-Xsrftoken": cookie}

    def put(name: str, size: int, chunked: bool = False) -> int:
        data = b"region_code;day\n" + b"x" * (size - 16)
        target = f"/_stcore/upload_file/{session_id}/{name}"
        if not chunked:
            files = {"file": (f"{name}.csv", data, "text/csv")}
            return http.put(target, files=files, headers=headers).status_code
        boundary = "limit-test"
        body = (
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
                f'filename="{name}.csv"\r\nContent-Type: text/csv\r\n\r\n'
            ).encode()
            + data
            + f"\r\n--{boundary}--\r\n".encode()
        )

        def chunks() -> Iterator[bytes]:  # no Content-Length: the server must count
            for offset in range(0, len(body), MB):
                yield body[offset : offset + MB]

        return http.put(
            target,
            content=chunks(),
            headers={**headers, "Content-Type": f"multipart/form-data; boundary={boundary}"},
        ).status_code

    assert put("small", 1 * MB) == 204
    assert put("declared", 8 * MB) == 413
    assert put("streamed", 20 * MB, chunked=True) == 413
    assert put("just-over", 5 * MB + 100) == 413
