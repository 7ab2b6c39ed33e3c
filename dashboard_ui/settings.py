"""The dashboard's configuration, read from the Kedro project's conf (same as ``kedro run``).

``KEDRO_ENV`` selects the environment (``prod`` = Elasticsearch/MongoDB). Paths follow
``ENERGIEWATCH_DATA_DIR``; when it is unset the dashboard uses the Kedro project's ``data/``
folder, which is where ``kedro run`` (started in ``data-collection-kedro/``) writes.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
KEDRO_PROJECT = REPO_ROOT / "data-collection-kedro"
# environment variables that change where the dashboard reads and writes
ENV_VARS = (
    "KEDRO_ENV",
    "ENERGIEWATCH_DATA_DIR",
    "ENERGIEWATCH_DUCKDB",
    "ENERGIEWATCH_CARBON_DIR",
    "MLFLOW_TRACKING_URI",
    "MONGODB_URI",
    "ELASTICSEARCH_URL",
)


@dataclass(frozen=True)
class DashboardSettings:
    env: str | None
    params: dict[str, Any]  # the ``dashboard`` parameters
    catalog: dict[str, Any]  # the resolved catalog configuration
    tracking_uri: str
    carbon_dir: Path
    parameters: dict[str, Any]  # every project parameter (the pipelines' conventions)

    def model(self, key: str) -> dict[str, Any]:
        """``{"name": ..., "pipeline": ...}`` of a model the dashboard serves."""
        return dict(self.params["models"][key])

    def limit(self, key: str) -> Any:
        return self.params["limits"][key]

    def section(self, name: str) -> dict[str, Any]:
        """A pipeline's parameters (``forecasting``, ``anomaly_detection``, ...), empty if absent."""
        return dict(self.parameters.get(name) or {})

    @property
    def store(self) -> dict[str, Any]:
        """Dataset definitions of ``model_monitoring`` and ``user_feedback`` (``dashboard_store``)."""
        return self.section("dashboard_store")


def environment_key() -> tuple[str | None, ...]:
    """Cache key: the dashboard's resources depend on these environment variables only."""
    return tuple(os.environ.get(name) for name in ENV_VARS)


def load_settings(env: str | None = None) -> DashboardSettings:
    """Resolve ``parameters_dashboard.yml``, the catalog and the MLflow URI of the project."""
    from kedro.framework.project import settings as kedro_settings
    from kedro.framework.startup import bootstrap_project

    os.environ.setdefault("ENERGIEWATCH_DATA_DIR", str(KEDRO_PROJECT / "data"))
    env = env or os.environ.get("KEDRO_ENV") or None
    bootstrap_project(KEDRO_PROJECT)
    loader = kedro_settings.CONFIG_LOADER_CLASS(
        conf_source=str(KEDRO_PROJECT / kedro_settings.CONF_SOURCE),
        env=env,
        **kedro_settings.CONFIG_LOADER_ARGS,
    )
    parameters = loader["parameters"]
    return DashboardSettings(
        env=env,
        params=parameters["dashboard"],
        catalog=dict(loader["catalog"]),
        tracking_uri=str(parameters["mlflow"]["tracking_uri"]),
        carbon_dir=Path(parameters["carbon"]["output_dir"]),
        parameters=dict(parameters),
    )
