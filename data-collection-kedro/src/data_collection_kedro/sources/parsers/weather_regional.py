"""``weather_regional``: the day is in ``ID`` (``2016-01-01T00:00:00-11``) when ``Date`` is empty."""

from __future__ import annotations

from data_collection_kedro.validation.tables import TableCheck


def prepare(check: TableCheck) -> None:
    raw = check.raw
    raw["date"] = raw["date"].fillna(raw["id"].str.slice(0, 10))
