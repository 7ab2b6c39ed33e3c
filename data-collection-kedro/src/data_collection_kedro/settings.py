"""Project settings: hooks, configuration loader and the warnings the project filters.

Telemetry is off for this project (``.telemetry`` holds ``consent: false`` and the Makefile
exports ``KEDRO_DISABLE_TELEMETRY``).
"""

import warnings

from omegaconf.resolvers import oc

from data_collection_kedro.config_loader import ProjectConfigLoader
from data_collection_kedro.hooks import (
    CarbonTrackingHook,
    IngestionReportHook,
    LogRedactionHook,
    MlflowTrackingHook,
    RunRegistry,
    RunSummaryHook,
    StoreConnectionHook,
)

# kedro-viz (installed for `make viz`) registers run hooks through its entry points: dataset
# statistics and run events written to .viz/ on every run. A run must not do extra work
# because a viewer is installed (and the carbon hook would measure it): they are off.
DISABLE_HOOKS_FOR_PLUGINS = ("kedro-viz",)

#: the state of each run the hooks share (docs/carbon.md, "Run state shared by the hooks")
RUNS = RunRegistry()
HOOKS = (
    LogRedactionHook(),
    CarbonTrackingHook(RUNS),
    MlflowTrackingHook(RUNS),
    RunSummaryHook(RUNS),
    IngestionReportHook(RUNS),
    StoreConnectionHook(),
)

# Kedro 1.7's OmegaConfigLoader registers its resolvers with OmegaConf.register_new_resolver,
# which OmegaConf 2.4 deprecates: four notices on every run about Kedro's own code, nothing this
# project can change. Filtered for that message from that module only.
warnings.filterwarnings(
    "ignore",
    message=r"register_new_resolver\(\) is deprecated",
    category=UserWarning,
    module=r"kedro\.config\.omegaconf_config",
)

# OmegaConfigLoader with `--params` merged after the environment (config_loader.py)
CONFIG_LOADER_CLASS = ProjectConfigLoader
CONFIG_LOADER_ARGS = {
    "base_env": "base",
    "default_run_env": "local",
    # ``${oc.env:VAR,default}`` everywhere (Kedro enables it only for credentials by default):
    # paths and service URLs follow ENERGIEWATCH_DATA_DIR, MONGODB_URI, ELASTICSEARCH_URL, ...
    "custom_resolvers": {"oc.env": oc.env},
    "config_patterns": {
        "parameters": ["parameters*", "parameters*/**", "**/parameters*"],
        "catalog": ["catalog*", "catalog*/**", "**/catalog*"],
    },
}
