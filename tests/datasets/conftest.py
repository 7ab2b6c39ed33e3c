"""Fixtures of the store dataset tests: one sample frame with every type the stores keep."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pandas as pd
import pytest
from store_frames import make_prices


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
