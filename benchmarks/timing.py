"""Timing helpers shared by the benchmarks (not a benchmark: ``make bench`` runs bench_*.py)."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


def best(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    """The shortest wall time of ``repeat`` calls of ``fn`` and the last call's result."""
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return min(times), result


def run_child(command: list[str], log: Path) -> float:
    """Run ``command`` (its output into ``log``, shown when it fails) and return its peak RSS
    in MB (``os.wait4``'s ``ru_maxrss``: the child's own, not the parent's)."""
    with log.open("w") as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(process.pid, 0)
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        print(log.read_text()[-5000:])
        raise SystemExit(f"{' '.join(command[1:3])} failed with exit code {code}")
    return float(usage.ru_maxrss) / 1024  # Linux: kilobytes


def timed_session_run(data_dir: Path, **run_args: Any) -> float:
    """One KedroSession of the project on the data dir ``data_dir`` running ``run_args``
    (``session.run``'s arguments); its wall time (session creation and run, not the start-up
    of the project).

    Logged as ``kedro run`` logs in the project folder: with the project's
    ``conf/logging.yml`` (or the file ``KEDRO_LOGGING_CONFIG`` names). Kedro picks its logging
    configuration when it is first imported, from the working directory of that moment; a
    benchmark imports it from the repository root, where Kedro would fall back to its own
    rich console handler (a different, costlier output than the run users get)."""
    import yaml
    from kedro.framework.project import configure_logging
    from kedro.framework.session import KedroSession
    from kedro.framework.startup import bootstrap_project

    project = Path(__file__).resolve().parents[1] / "data-collection-kedro"
    os.environ["ENERGIEWATCH_DATA_DIR"] = str(data_dir)
    os.environ.setdefault("KEDRO_DISABLE_TELEMETRY", "true")
    os.chdir(project)
    logging_file = Path(os.environ.get("KEDRO_LOGGING_CONFIG") or project / "conf" / "logging.yml")
    configure_logging(yaml.safe_load(logging_file.read_text(encoding="utf-8")))
    bootstrap_project(project)
    started = time.perf_counter()
    with KedroSession.create(project_path=project) as session:
        session.run(**run_args)
    return time.perf_counter() - started
