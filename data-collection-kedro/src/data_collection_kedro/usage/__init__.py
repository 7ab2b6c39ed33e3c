"""Usage footprint: the energy and emissions of using models (inference).

Three ways in, one calculation (:mod:`.footprint`):

* Python: :func:`estimate_usage` (``analytics`` = a frame, a list of rows, a path or bytes);
* CLI: ``python -m data_collection_kedro.usage usage-footprint analytics.yaml --region france``;
* REST: ``POST /energy?region=…`` of :mod:`.api` (``make usage-api``).

:func:`~data_collection_kedro.usage.report.build_usage_section` turns the monitoring logs of
EnergieWatch's own models into inference energy next to training for the carbon summary.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from data_collection_kedro.usage.analytics import (
    AnalyticsError,
    parse_analytics,
    validate_rows,
)
from data_collection_kedro.usage.config import (
    UsageConfig,
    UsageConfigError,
    load_usage_config,
    parse_usage_config,
)
from data_collection_kedro.usage.footprint import UsageEstimate, estimate
from data_collection_kedro.usage.measurements import NodeMeasurements, read_node_measurements

__all__ = [
    "AnalyticsError",
    "UsageConfig",
    "UsageConfigError",
    "NodeMeasurements",
    "UsageEstimate",
    "estimate_usage",
    "load_usage_config",
    "parse_usage_config",
    "read_node_measurements",
]


def estimate_usage(
    analytics: pd.DataFrame | Sequence[Mapping[str, Any]] | str | Path | bytes,
    region: str | None = None,
    config: UsageConfig | Mapping[str, Any] | str | Path | None = None,
    node_emissions: pd.DataFrame | NodeMeasurements | None = None,
) -> UsageEstimate:
    """Energy (kWh) and emissions (gCO₂e) per profile and day of usage analytics.

    Args:
        analytics: rows of ``day, profile, requests[, mean_input_tokens, mean_output_tokens]``
            as a frame or list of mappings, the path of a YAML/CSV file, or its bytes.
        region: a region of the configuration (its default when None).
        config: a :class:`UsageConfig`, its mapping, a YAML path, or None (the project file /
            ``ENERGIEWATCH_USAGE_CONFIG``).
        node_emissions: rows of ``emissions_nodes.csv``, or :class:`NodeMeasurements`
            (:func:`~.measurements.read_node_measurements`: the project's file, stated in the
            result); measured profiles use the carbon hook's inference-node energy, the
            configured fallback for a node without measurement.

    Raises:
        AnalyticsError: invalid analytics (every problem listed with its row).
        KeyError: unknown region (the known ones listed).
    """
    if isinstance(config, UsageConfig):
        cfg = config
    elif isinstance(config, Mapping):
        cfg = parse_usage_config(config)
    else:
        cfg = load_usage_config(config)
    if isinstance(analytics, str | Path):
        path = Path(analytics)
        frame = parse_analytics(path.read_bytes(), cfg, filename=path.name)
    elif isinstance(analytics, bytes):
        frame = parse_analytics(analytics, cfg)
    else:
        records: Sequence[Mapping[Any, Any]] = (
            analytics.to_dict("records") if isinstance(analytics, pd.DataFrame) else analytics
        )
        rows = [(f"row {i}", {str(k): v for k, v in r.items()}) for i, r in enumerate(records, 1)]
        frame = validate_rows(rows, cfg)
    if isinstance(node_emissions, NodeMeasurements):
        result = estimate(frame, cfg, region, node_emissions.frame)
        result.measurements = node_emissions.note
        return result
    return estimate(frame, cfg, region, node_emissions)
