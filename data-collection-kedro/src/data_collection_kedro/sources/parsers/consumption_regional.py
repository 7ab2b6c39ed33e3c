"""``consumption_regional``: keep the source's local date-time beside its UTC instant."""

from __future__ import annotations

from data_collection_kedro.validation.tables import TableCheck


def derive(check: TableCheck) -> None:
    """``Date - Heure`` is stored twice: as the UTC instant (``timestamp_utc``) and as the
    source text with its offset (``datetime_local``); an empty ``Date`` is the calendar day of
    ``Date - Heure``."""
    raw = check.raw
    check.typed = typed = check.typed.rename(columns={"datetime_local": "timestamp_utc"})
    typed.insert(0, "datetime_local", raw["datetime_local"])
    missing_date = typed["date"].isna() & typed["timestamp_utc"].notna()
    if missing_date.any():
        typed.loc[missing_date, "date"] = raw.loc[missing_date, "datetime_local"].str.slice(0, 10)
        typed["date"] = typed["date"].astype("date32[pyarrow]")
