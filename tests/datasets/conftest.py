"""Fixtures of the store dataset tests: one sample frame with every type the stores keep."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd
import pytest


def make_prices(n: int = 10, start: int = 0) -> pd.DataFrame:
    """A ``raw_fuel_prices``-like frame: compound key, every dtype, nullable values."""
    i = np.arange(start, start + n)
    return pd.DataFrame(
        {
            "station_id": [f"{75000100 + k % 4}" for k in i],
            "fuel": ["Gazole" if k % 2 else "SP95" for k in i],
            "updated_at": pd.Timestamp("2024-03-31 01:00") + pd.to_timedelta(i, unit="h"),
            "day": [dt.date(2024, 3, 31) + dt.timedelta(days=int(k) // 24) for k in i],
            "price_eur_l": pd.Series(1.7 + i / 1000.0, dtype="float64"),
            "fuel_id": pd.array([int(k % 6) + 1 for k in i], dtype="Int64"),
            "is_open": pd.array([bool(k % 3) for k in i], dtype="boolean"),
            "ingested_utc": pd.Timestamp("2024-04-01T12:00:00Z") + pd.to_timedelta(i, unit="s"),
            "city": pd.Series([f"Paris {k}" for k in i], dtype="str"),
        }
    )


@pytest.fixture
def prices() -> pd.DataFrame:
    frame = make_prices(10)
    # Nulls in every nullable column of one row.
    frame.loc[3, ["price_eur_l", "fuel_id", "is_open", "city", "day"]] = None
    return frame


@pytest.fixture
def mongomock_server() -> Iterator[None]:
    """``pymongo.MongoClient`` answered by mongomock for ``localhost:27017``.

    mongomock stands in for a MongoDB server, which cannot run in this environment. mongomock
    4.3 predates pymongo 4.9's ``sort`` argument of ``UpdateOne``, which pymongo now passes to
    the bulk builder; the shim drops it when unset (the datasets never set it).
    """
    import mongomock
    from mongomock.collection import BulkOperationBuilder

    original = BulkOperationBuilder.add_update

    def add_update(self: Any, *args: Any, sort: Any = None, **kwargs: Any) -> Any:
        if sort is not None:
            raise NotImplementedError("mongomock: UpdateOne(sort=...) is not emulated")
        return original(self, *args, **kwargs)

    BulkOperationBuilder.add_update = add_update  # type: ignore[method-assign]
    try:
        with mongomock.patch(servers=(("localhost", 27017),)):
            yield
    finally:
        BulkOperationBuilder.add_update = original  # type: ignore[method-assign]
