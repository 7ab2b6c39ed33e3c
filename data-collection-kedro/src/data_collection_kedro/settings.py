"""Project settings: hooks and configuration loader.

Telemetry is off for this project (``.telemetry`` holds ``consent: false`` and the
kedro-telemetry plugin is not installed).
"""

from omegaconf.resolvers import oc

from data_collection_kedro.config_loader import ProjectConfigLoader
from data_collection_kedro.hooks import (
    CarbonTrackingHook,
    IngestionReportHook,
    LogRedactionHook,
    MlflowTrackingHook,
    RunRegistry,
    RunSummaryHook,
)

#: the state of each run the hooks share (docs/carbon.md, "Run state shared by the hooks")
RUNS = RunRegistry()
HOOKS = (
    LogRedactionHook(),
    CarbonTrackingHook(RUNS),
    MlflowTrackingHook(RUNS),
    RunSummaryHook(RUNS),
    IngestionReportHook(RUNS),
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
