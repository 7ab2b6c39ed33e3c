"""Run Kedro pipelines or nodes of the EnergieWatch project inside an Airflow task.

The kedro-airflow pattern: bootstrap the project, open a ``KedroSession`` with the
configured environment and run ``session.run(pipeline_names=[...], node_names=[...])``.
Project hooks (carbon tracking, MLflow) run as in ``kedro run``. A small extra hook reads
how many rows each raw-store save inserted, so the DAG can tell whether ingestion brought
new data.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from kedro.framework.hooks.markers import hook_impl

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


class SaveCounter:
    """Kedro hook: rows inserted per saved raw-store dataset (its ``last_result``)."""

    def __init__(self) -> None:
        self.catalog: Any = None
        self.inserted: dict[str, int] = {}
        self.unknown: list[str] = []

    @hook_impl
    def after_catalog_created(self, catalog: Any) -> None:
        self.catalog = catalog

    @hook_impl
    def after_dataset_saved(self, dataset_name: str, data: Any, node: Any) -> None:
        if not dataset_name.startswith("raw_") or self.catalog is None:
            return
        dataset = self.catalog.get(dataset_name)
        inserted = getattr(getattr(dataset, "last_result", None), "inserted", None)
        if inserted is None:
            self.unknown.append(dataset_name)
        else:
            self.inserted[dataset_name] = self.inserted.get(dataset_name, 0) + int(inserted)


def _register(session: Any, hook: SaveCounter) -> bool:
    """Add the counting hook to the session's hook manager (Kedro has no public API for it)."""
    manager = getattr(session, "_hook_manager", None)
    if manager is None:
        log.warning("cannot count inserted rows: KedroSession has no hook manager")
        return False
    manager.register(hook)
    return True


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
    from kedro.framework.session import KedroSession
    from kedro.framework.startup import bootstrap_project

    os.environ.setdefault("KEDRO_DISABLE_TELEMETRY", "true")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    path = project_path()
    resolved_env = env if env is not None else kedro_env()
    nodes = list(node_names) if node_names else None
    counter = SaveCounter()
    with contextlib.chdir(path):
        bootstrap_project(path)
        session: Any
        with KedroSession.create(project_path=path, env=resolved_env) as session:
            counted = _register(session, counter)
            log.info(
                "kedro run --pipeline %s%s%s (env %s)",
                pipeline_name,
                f" --nodes {','.join(nodes)}" if nodes else "",
                f" --tags {','.join(tags)}" if tags else "",
                resolved_env or BASE_ENV,
            )
            session.run(
                pipeline_names=[pipeline_name],
                node_names=nodes,
                tags=list(tags) if tags else None,
            )
    known = counted and not counter.unknown
    return {
        "pipeline": pipeline_name,
        "nodes": nodes,
        "env": resolved_env or BASE_ENV,
        "inserted": counter.inserted,
        "new_rows": sum(counter.inserted.values()) if known else None,
    }
