"""The carbon summary: the project's footprint from the carbon hook's files (pure functions).

``scripts/carbon_summary.py`` (``make carbon-report``) is the command line; see
:mod:`.compute` for the definition of every figure.
"""

from data_collection_kedro.carbon.summary.compute import CarbonSummary, build_summary
from data_collection_kedro.carbon.summary.config import SummaryConfig, load_config
from data_collection_kedro.carbon.summary.loading import CarbonData, load_carbon_files
from data_collection_kedro.carbon.summary.selection import NodeInfo, select_node_runs

__all__ = [
    "CarbonData",
    "CarbonSummary",
    "SummaryConfig",
    "build_summary",
    "load_carbon_files",
    "load_config",
    "NodeInfo",
    "select_node_runs",
]
