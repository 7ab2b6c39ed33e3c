"""The Kedro project's configuration read outside a Kedro session (report, usage CLI and API).

Resolved like a ``kedro run``: the same conf folder, environments and ``${oc.env:...}``
resolver, so paths follow ``ENERGIEWATCH_DATA_DIR`` / ``ENERGIEWATCH_CARBON_DIR`` exactly as
the pipelines write them.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

PROJECT_DIR = Path(__file__).resolve().parents[2]  # data-collection-kedro/
DEFAULT_CARBON_DIR = "data/09_carbon"


def project_parameters(env: str | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
    """(parameters, globals) of the Kedro project, resolved like a ``kedro run``."""
    from kedro.config import OmegaConfigLoader
    from omegaconf.resolvers import oc

    with warnings.catch_warnings():  # omegaconf's resolver-API deprecation notice
        warnings.simplefilter("ignore", UserWarning)
        loader = OmegaConfigLoader(
            conf_source=str(PROJECT_DIR / "conf"),
            base_env="base",
            default_run_env=env or "local",
            env=env,
            custom_resolvers={"oc.env": oc.env},
        )
        params = dict(loader["parameters"])
        try:
            globals_ = dict(loader["globals"])
        except Exception:
            globals_ = {}
    return params, globals_


def project_path(value: str | Path) -> Path:
    """A path of the project's configuration: relative paths are relative to the Kedro project
    folder (where ``kedro run`` resolves them), whatever the working directory."""
    path = Path(value)
    return path if path.is_absolute() else PROJECT_DIR / path


def carbon_dir(params: dict[str, Any] | None = None) -> Path:
    """The folder the carbon hook writes to (``carbon.output_dir``)."""
    params = project_parameters()[0] if params is None else params
    return project_path((params.get("carbon") or {}).get("output_dir") or DEFAULT_CARBON_DIR)
