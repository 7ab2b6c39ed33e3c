"""The project's configuration loader: Kedro's ``OmegaConfigLoader`` with run parameters merged last.

Kedro merges ``kedro run --params`` into the base files and into the run environment's files
separately, then lets the environment replace whole top-level sections of base. When the
environment has parameter files (``conf/prod``), ``--env prod --params forecasting.horizon_days=7``
therefore replaced the whole ``forecasting`` section by ``{horizon_days: 7}``. Here the run
parameters are deep-merged into the result of the base/environment merge instead, so they change
only the keys they name, whatever the environment.

The parameters are read once per loader (a session): Kedro asks for them several times per run
(the catalog, the hooks' ``context.params``), and each read parses every parameters file again
(about 0.4 s for this project). Each caller gets its own copy.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from kedro.config import OmegaConfigLoader
from omegaconf import OmegaConf


class ProjectConfigLoader(OmegaConfigLoader):
    def __getitem__(self, key: str) -> dict[str, Any]:
        if key != "parameters":
            return super().__getitem__(key)
        if key in self.data:  # set by hand (loader["parameters"] = ...): read as Kedro does
            return self._parameters()
        state = json.dumps([self.env, self.runtime_params], sort_keys=True, default=str)
        cached = getattr(self, "_parameters_read", None)
        if cached is None or cached[0] != state:
            cached = (state, self._parameters())
            self._parameters_read = cached
        return copy.deepcopy(cached[1])

    def _parameters(self) -> dict[str, Any]:
        key = "parameters"
        runtime_params = self.runtime_params
        if not runtime_params:
            return super().__getitem__(key)
        self.runtime_params = {}
        try:
            parameters = super().__getitem__(key)
        finally:
            self.runtime_params = runtime_params
        merged = OmegaConf.merge(OmegaConf.create(parameters), OmegaConf.create(runtime_params))
        return OmegaConf.to_container(merged, resolve=True)  # type: ignore[return-value]
