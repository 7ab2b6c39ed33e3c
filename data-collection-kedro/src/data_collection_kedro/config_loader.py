"""The project's configuration loader: Kedro's ``OmegaConfigLoader`` with run parameters merged last.

Kedro merges ``kedro run --params`` into the base files and into the run environment's files
separately, then lets the environment replace whole top-level sections of base. When the
environment has parameter files (``conf/prod``), ``--env prod --params forecasting.horizon_days=7``
therefore replaced the whole ``forecasting`` section by ``{horizon_days: 7}``. Here the run
parameters are deep-merged into the result of the base/environment merge instead, so they change
only the keys they name, whatever the environment.
"""

from __future__ import annotations

from typing import Any

from kedro.config import OmegaConfigLoader
from omegaconf import OmegaConf


class ProjectConfigLoader(OmegaConfigLoader):
    def __getitem__(self, key: str) -> dict[str, Any]:
        runtime_params = self.runtime_params
        if key != "parameters" or not runtime_params:
            return super().__getitem__(key)
        self.runtime_params = {}
        try:
            parameters = super().__getitem__(key)
        finally:
            self.runtime_params = runtime_params
        merged = OmegaConf.merge(OmegaConf.create(parameters), OmegaConf.create(runtime_params))
        return OmegaConf.to_container(merged, resolve=True)  # type: ignore[return-value]
