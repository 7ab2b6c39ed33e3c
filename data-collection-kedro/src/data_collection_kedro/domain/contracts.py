"""Index contracts: name, key and typed columns of every table the fusion and the models write.

One definition per table, used by the fusion nodes (the columns an index keeps, in order), the
Elasticsearch dataset (``contract: <name>`` in a catalog entry derives the index, the document
id fields and the mappings), the monitoring store and the forecasting features.
``docs/data-contracts.md`` documents the same tables; ``tests/domain/test_contracts.py`` fails
when the document and this module disagree.

Column types are logical; each store maps them (``string`` -> DuckDB VARCHAR / Elasticsearch
``keyword``, ``text`` -> full-text with a ``raw`` keyword sub-field, ``json`` -> stored, not
indexed, ``date`` -> DATE / ``date``, ``timestamp`` -> UTC TIMESTAMP / ``date``, ...).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, get_args

import pandas as pd

ColumnType = Literal[
    "string", "text", "json", "date", "timestamp", "float", "integer", "long", "boolean"
]
COLUMN_TYPES: tuple[str, ...] = get_args(ColumnType)


@dataclass(frozen=True, eq=False)
class Contract:
    """A table: its (French) name, its natural key and its columns with their logical types."""

    name: str
    key: tuple[str, ...]
    columns: Mapping[str, ColumnType]

    def __post_init__(self) -> None:
        unknown = {c: t for c, t in self.columns.items() if t not in COLUMN_TYPES}
        if unknown:
            raise ValueError(f"{self.name}: unknown column types {unknown}; use {COLUMN_TYPES}")
        missing = [c for c in self.key if c not in self.columns]
        if missing:
            raise ValueError(f"{self.name}: key columns {missing} are not columns")

    @property
    def column_names(self) -> list[str]:
        return list(self.columns)

    def select(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The contract's columns of ``frame``, in order; a clear error names missing ones."""
        missing = [c for c in self.columns if c not in frame.columns]
        if missing:
            raise ValueError(
                f"{self.name}: the frame lacks contract column(s) {missing} "
                f"(see docs/data-contracts.md); it has {list(frame.columns)}"
            )
        return frame[self.column_names]


# Column groups shared by several contracts and by the features.
GAS_HOUR_SHARE_COLUMNS = tuple(f"gas_h{hour:02d}_share" for hour in range(24))
TEMPERATURE_COLUMNS = ("temp_min_c", "temp_max_c", "temp_mean_c")
WEATHER_MEASURE_COLUMNS = (
    "wind_kmh",
    "humidity_pct",
    "visibility_km",
    "cloud_cover_pct",
    "day_duration_h",
)

_REGION_DAY: dict[str, ColumnType] = {"region_code": "string", "day": "date", "region": "string"}
_ENERGIES: dict[str, ColumnType] = {
    "gas_consumption_mwh": "float",
    "electricity_consumption_mwh": "float",
}
_DAY_FIELDS: dict[str, ColumnType] = {
    "weekday": "integer",
    "is_weekend": "boolean",
    "month": "integer",
    "day_of_year": "integer",
    "year": "integer",
}
# the calendar fields of a day (domain.features.calendar_fields)
DAY_FIELD_COLUMNS = tuple(_DAY_FIELDS)

METEO_CONSOMMATION = Contract(
    "meteo_consommation",
    key=("region_code", "day"),
    columns={
        **_REGION_DAY,
        **_ENERGIES,
        "gas_operator_count": "integer",
        "gas_status": "string",
        "gas_imputed": "boolean",
        **dict.fromkeys(TEMPERATURE_COLUMNS, "float"),
        **dict.fromkeys(WEATHER_MEASURE_COLUMNS, "float"),
        "temp_interpolated": "boolean",
        "heating_degree_days": "float",
        **dict.fromkeys(GAS_HOUR_SHARE_COLUMNS, "float"),
        "is_complete": "boolean",
    },
)
CONSOMMATION_MOUVEMENTS = Contract(
    "consommation_mouvements",
    key=("region_code", "day"),
    columns={
        **_REGION_DAY,
        **_ENERGIES,
        "is_complete": "boolean",
        "strike_active": "boolean",
        "strike_count": "integer",
        "strike_rate_pct": "float",
        "strike_reason": "text",
        "is_public_holiday": "boolean",
        "public_holiday_name": "string",
        "is_school_holiday": "boolean",
        **_DAY_FIELDS,
    },
)
PRIX_CARBURANTS_JOURNALIER = Contract(
    "prix_carburants_journalier",
    key=("day", "department_code", "fuel"),
    columns={
        "day": "date",
        "department_code": "string",
        "fuel": "string",
        "region_code": "string",
        "region": "string",
        "price_min_eur_l": "float",
        "price_median_eur_l": "float",
        "price_max_eur_l": "float",
        "station_count": "integer",
        "shortage_count": "integer",
        "latitude": "float",
        "longitude": "float",
    },
)
FUSION_DATA_QUALITY = Contract(
    "fusion_data_quality",
    key=("index", "check"),
    columns={
        "index": "string",
        "check": "string",
        "rows_in": "long",
        "rows_out": "long",
        "unmatched_keys": "long",
        "detail": "json",
    },
)
_NATIONAL_TEMPERATURE: dict[str, ColumnType] = {
    **dict.fromkeys(TEMPERATURE_COLUMNS, "float"),
    "heating_degree_days": "float",
    "temp_weight_share": "float",
}
PREVISIONS_METEO = Contract(
    "previsions_meteo",
    key=("region_code", "day", "issue_day"),
    columns={
        "region_code": "string",
        "day": "date",
        "issue_day": "date",
        "region": "string",
        "lead_days": "integer",
        **dict.fromkeys(TEMPERATURE_COLUMNS, "float"),
        "heating_degree_days": "float",
        "model": "string",
        "point_count": "integer",
    },
)
PREVISIONS_METEO_NATIONALES = Contract(
    "previsions_meteo_nationales",
    key=("day", "issue_day"),
    columns={
        "day": "date",
        "issue_day": "date",
        "lead_days": "integer",
        **_NATIONAL_TEMPERATURE,
        "region_count": "integer",
    },
)
CONSOMMATION_NATIONALE = Contract(
    "consommation_nationale",
    key=("day",),
    columns={
        "day": "date",
        "electricity_consumption_mwh": "float",
        "gas_consumption_mwh": "float",
        "electricity_is_complete": "boolean",
        "gas_is_complete": "boolean",
        "electricity_status": "string",
        "gas_status": "string",
        **_NATIONAL_TEMPERATURE,
    },
)
CONSUMPTION_ANOMALIES = Contract(
    "consumption_anomalies",
    key=("region_code", "day"),
    columns={
        **_REGION_DAY,
        "anomaly_score": "float",
        "is_anomaly": "boolean",
        "top_feature": "string",
    },
)
REGION_CLUSTERS = Contract(
    "region_clusters",
    key=("region_code", "algorithm"),
    columns={
        "region_code": "string",
        "algorithm": "string",
        "region": "string",
        "cluster": "integer",
    },
)
CONSUMPTION_FORECASTS = Contract(
    "consumption_forecasts",
    key=("region_code", "day", "model"),
    columns={
        "region_code": "string",
        "region": "string",
        "day": "date",
        "model": "string",
        "energy": "string",
        "scope": "string",
        "unit": "string",
        "issue_day": "date",
        "lead_days": "integer",
        "consumption_mwh_p10": "float",
        "consumption_mwh_predicted": "float",
        "consumption_mwh_p90": "float",
        "weather_basis": "string",
        "weather_issue_day": "date",
    },
)
MODEL_METRICS = Contract(
    "model_metrics",
    key=("model", "split", "metric"),
    columns={"model": "string", "split": "string", "metric": "string", "value": "float"},
)
MODEL_MONITORING = Contract(
    "model_monitoring",
    key=("prediction_id",),
    columns={
        "prediction_id": "string",
        "logged_at": "timestamp",
        "application": "string",
        "page": "string",
        "model_name": "string",
        "model_version": "string",
        "n_predictions": "integer",
        "response_time_ms": "float",
        "cpu_percent": "float",
        "memory_mb": "float",
        "status": "string",
        "error_type": "string",
        "error_message": "text",
    },
)
USER_FEEDBACK = Contract(
    "user_feedback",
    key=("feedback_id",),
    columns={
        "feedback_id": "string",
        "submitted_at": "timestamp",
        "page": "string",
        "model_name": "string",
        "model_version": "string",
        "prediction_value": "float",
        "rating": "integer",
        "comment": "text",
    },
)

CONTRACTS: dict[str, Contract] = {
    contract.name: contract
    for contract in (
        METEO_CONSOMMATION,
        CONSOMMATION_MOUVEMENTS,
        PRIX_CARBURANTS_JOURNALIER,
        PREVISIONS_METEO,
        PREVISIONS_METEO_NATIONALES,
        CONSOMMATION_NATIONALE,
        FUSION_DATA_QUALITY,
        CONSUMPTION_ANOMALIES,
        REGION_CLUSTERS,
        CONSUMPTION_FORECASTS,
        MODEL_METRICS,
        MODEL_MONITORING,
        USER_FEEDBACK,
    )
}


def contract(name: str) -> Contract:
    """The contract of table ``name``, or a ``KeyError`` listing the known tables."""
    try:
        return CONTRACTS[name]
    except KeyError:
        raise KeyError(f"no contract for table {name!r}; known: {sorted(CONTRACTS)}") from None
