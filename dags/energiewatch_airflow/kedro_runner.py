"""Run Kedro pipelines or nodes of the EnergieWatch project inside an Airflow task.

The kedro-airflow pattern: bootstrap the project, open a ``KedroSession`` with the
configured environment and run ``session.run(pipeline_names=[...], node_names=[...])``.
Project hooks (carbon tracking, MLflow, run summary) run as in ``kedro run``. The run-summary
hook writes how many rows each raw-store save inserted into the run's summary file, which the
runner reads so the DAG can tell whether ingestion brought new data. Public Kedro APIs only.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

PACKAGE_NAME = "data_collection_kedro"
DEFAULT_PROJECT_PATH = Path(__file__).resolve().parents[2] / "data-collection-kedro"
KEDRO_ENV_VARIABLE = "energiewatch_kedro_env"  # Airflow Variable
BASE_ENV = "base"


def project_path() -> Path:
    """The Kedro project: ``ENERGIEWATCH_KEDRO_PROJECT`` or the repo's ``data-collection-kedro/``."""
    return Path(os.environ.get("ENERGIEWATCH_KEDRO_PROJECT", DEFAULT_PROJECT_PATH)).resolve()


def _airflow_variable(name: str) -> str | None:
    try:
        from airflow.sdk import Variable

        value = Variable.get(name, default=None)
    except Exception:  # no task context / no metadata access: fall back to the environment
        return None
    return str(value) if value else None


def kedro_env() -> str | None:
    """Kedro env: Airflow Variable ``energiewatch_kedro_env``, else ``KEDRO_ENV``, else base.

    ``base`` (or empty) means Kedro's default (base configuration + optional ``conf/local``).
    """
    env = _airflow_variable(KEDRO_ENV_VARIABLE) or os.environ.get("KEDRO_ENV") or BASE_ENV
    env = env.strip()
    return None if env in ("", BASE_ENV) else env


RAW_PREFIX = "raw_"


def inserted_rows(summary: dict[str, Any] | None) -> tuple[dict[str, int], bool]:
    """Rows inserted per raw-store dataset (``raw_*``) in a run summary, and whether every
    raw dataset reported its count (no summary: nothing known)."""
    if not summary:
        return {}, False
    inserted: dict[str, int] = {}
    known = True
    for name, saves in (summary.get("datasets") or {}).items():
        if not name.startswith(RAW_PREFIX):
            continue
        count = (saves or {}).get("inserted")
        if count is None:
            known = False
        else:
            inserted[name] = int(count)
    return inserted, known


def _summary_folder(session: Any, project: Path) -> Path | None:
    """Where the project's run-summary hook writes (``run_summary.output_dir``)."""
    try:
        params = session.load_context().params.get("run_summary") or {}
    except Exception as exc:  # a broken configuration fails the run itself, with its message
        log.warning("cannot read the run_summary parameters: %s", exc)
        return None
    if not params.get("output_dir"):
        return None
    folder = Path(str(params["output_dir"]))
    return folder if folder.is_absolute() else project / folder


def summarise_runs(runs: Iterable[dict[str, Any] | None]) -> dict[str, Any]:
    """Rows inserted per raw dataset over several :func:`run_kedro` results.

    ``new_rows`` is their total, or ``None`` when any run could not count (then the data is
    treated as new: publishing too often is safer than missing new data).
    """
    inserted: dict[str, int] = {}
    unknown = False
    for run in runs:
        if not run or run.get("new_rows") is None:
            unknown = True
        for name, count in ((run or {}).get("inserted") or {}).items():
            inserted[name] = inserted.get(name, 0) + int(count)
    return {"new_rows": None if unknown else sum(inserted.values()), "inserted": inserted}


class _LogLines(io.TextIOBase):
    """A text stream that logs each complete line it receives (at ``level``)."""

    def __init__(self, logger: logging.Logger, level: int) -> None:
        self._logger, self._level, self._pending = logger, level, ""

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        lines = (self._pending + text).split("\n")
        self._pending = lines.pop()
        for line in lines:
            if line.strip():
                self._logger.log(self._level, line.rstrip())
        return len(text)

    def flush(self) -> None:
        if self._pending.strip():
            self._logger.log(self._level, self._pending.rstrip())
        self._pending = ""


@contextlib.contextmanager
def task_logging() -> Iterator[Callable[[], None]]:
    """A Kedro run inside an Airflow task, logged at each message's own level.

    Airflow logs every line a task writes to stderr as an ERROR. A plain Kedro run writes
    normal messages there: Kedro's logging configuration replaces the task's handlers,
    CodeCarbon and MLflow log through their own stderr handlers, warnings and MLflow's model
    registration notices are printed to stderr. Inside this block:

    - the task's (Airflow's) root handlers stay in place: call the yielded function after
      ``bootstrap_project`` (which applies ``conf/logging.yml``) and before the run;
    - loggers with their own stderr handler (CodeCarbon, MLflow) propagate to those handlers
      instead (MLflow is also told not to configure its loggers when first imported);
    - warnings become ``py.warnings`` log records (WARNING);
    - what is still printed to stderr is logged line by line at INFO
      (``energiewatch.task.stderr``); a failure raises and Airflow logs it as an error.

    Everything is restored when the block ends.
    """
    root = logging.getLogger()
    task_handlers, task_level = list(root.handlers), root.level
    stderr_streams = {id(sys.stderr), id(sys.__stderr__)}
    set_aside: list[tuple[logging.Logger, list[logging.Handler], bool]] = []

    def keep_task_handlers() -> None:
        root.handlers[:] = task_handlers
        root.setLevel(task_level)
        for logger in list(logging.Logger.manager.loggerDict.values()):
            if not isinstance(logger, logging.Logger):
                continue
            to_stderr: list[logging.Handler] = [
                h
                for h in logger.handlers
                if isinstance(h, logging.StreamHandler)
                and id(getattr(h, "stream", None)) in stderr_streams
            ]
            if not to_stderr:
                continue
            set_aside.append((logger, to_stderr, logger.propagate))
            for handler in to_stderr:
                logger.removeHandler(handler)
            logger.propagate = True

    stderr_lines = _LogLines(logging.getLogger("energiewatch.task.stderr"), logging.INFO)
    configure_mlflow = os.environ.get("MLFLOW_CONFIGURE_LOGGING")
    os.environ["MLFLOW_CONFIGURE_LOGGING"] = "false"
    logging.captureWarnings(True)
    try:
        with contextlib.redirect_stderr(stderr_lines):
            keep_task_handlers()
            yield keep_task_handlers
    finally:
        stderr_lines.flush()
        logging.captureWarnings(False)
        if configure_mlflow is None:
            os.environ.pop("MLFLOW_CONFIGURE_LOGGING", None)
        else:
            os.environ["MLFLOW_CONFIGURE_LOGGING"] = configure_mlflow
        for logger, handlers, propagate in reversed(set_aside):
            for handler in handlers:
                logger.addHandler(handler)
            logger.propagate = propagate


def run_kedro(
    pipeline_name: str,
    *,
    node_names: Iterable[str] | None = None,
    tags: Iterable[str] | None = None,
    env: str | None = None,
) -> dict[str, Any]:
    """Run a registered pipeline (optionally some of its nodes) and summarise the run.

    Returns a JSON-serialisable dict: pipeline, nodes, env, rows inserted per raw dataset,
    and ``new_rows`` (their total, or ``None`` when a raw dataset could not report counts).
    """
    os.environ.setdefault("KEDRO_DISABLE_TELEMETRY", "true")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    path = project_path()
    resolved_env = env if env is not None else kedro_env()
    nodes = list(node_names) if node_names else None
    # entered before Kedro's framework is imported: importing it configures logging
    with task_logging() as keep_task_handlers, contextlib.chdir(path):
        from kedro.framework.session import KedroSession
        from kedro.framework.startup import bootstrap_project

        from data_collection_kedro.run_summary import read_run_summary

        bootstrap_project(path)  # applies the project's logging configuration...
        keep_task_handlers()  # ...but the task's handlers stay
        session: Any
        with KedroSession.create(project_path=path, env=resolved_env) as session:
            run_id = str(session.store["session_id"])
            log.info(
                "kedro run --pipelines %s%s%s (env %s)",
                pipeline_name,
                f" --nodes {','.join(nodes)}" if nodes else "",
                f" --tags {','.join(tags)}" if tags else "",
                resolved_env or BASE_ENV,
            )
            keep_task_handlers()  # and loggers of the libraries imported meanwhile
            session.run(
                pipeline_names=[pipeline_name],
                node_names=nodes,
                tags=list(tags) if tags else None,
            )
            folder = _summary_folder(session, path)
    summary = read_run_summary(folder, run_id) if folder is not None else None
    if summary is None:
        log.warning("no run summary for run %s: inserted rows unknown", run_id)
    inserted, known = inserted_rows(summary)
    return {
        "pipeline": pipeline_name,
        "nodes": nodes,
        "env": resolved_env or BASE_ENV,
        "run_id": run_id,
        "inserted": inserted,
        "new_rows": sum(inserted.values()) if known else None,
    }


INTENSITY_DATASET = "raw_grid_carbon_intensity"


def plan_low_carbon_start(
    *,
    enabled: bool | None = None,
    max_delay_hours: float | None = None,
    env: str | None = None,
    now: Any = None,
) -> dict[str, Any]:
    """When the deferrable work should start: the project's ``carbon_aware_scheduling``
    parameters (``enabled`` / ``max_delay_hours`` override them when given) applied to the
    grid intensity stored in ``raw_grid_carbon_intensity`` (see
    :func:`data_collection_kedro.carbon.intensity.plan_start`). An empty or missing table, or
    one whose newest day is older than ``max_profile_age_days``, means starting at once."""
    import pandas as pd
    from kedro.framework.session import KedroSession
    from kedro.framework.startup import bootstrap_project

    from data_collection_kedro.carbon.intensity import IntensitySeries, plan_start
    from data_collection_kedro.run_context import as_bool

    path = project_path()
    resolved_env = env if env is not None else kedro_env()
    with contextlib.chdir(path):
        bootstrap_project(path)
        session: Any
        with KedroSession.create(project_path=path, env=resolved_env) as session:
            context = session.load_context()
            config = dict(context.params.get("carbon_aware_scheduling") or {})
            try:
                frame = context.catalog.load(INTENSITY_DATASET)
            except Exception as exc:  # no table yet: nothing to predict from
                log.warning("grid intensity unavailable (%s): starting at once", exc)
                frame = None
    decision = plan_start(
        IntensitySeries.from_frame(frame, int(config.get("profile_days", 7))),
        pd.Timestamp(now) if now is not None else pd.Timestamp.now(tz="UTC"),
        enabled=as_bool(config.get("enabled", True) if enabled is None else enabled, "enabled"),
        max_delay_hours=float(
            config.get("max_delay_hours", 12) if max_delay_hours is None else max_delay_hours
        ),
        window_hours=float(config.get("window_hours", 1)),
        max_profile_age_days=float(config.get("max_profile_age_days", 3)),
    )
    log.info("carbon-aware start: %s", decision)
    return decision
