"""Fixtures of the store dataset tests: one sample frame with every type the stores keep.

The MongoDB server fixtures (``mongo_server``, ``mongo_database``) are in
tests/support/mongo_server.py.
"""

from __future__ import annotations

import pandas as pd
import pytest

from tests.support.store_frames import make_prices


@pytest.fixture
def prices() -> pd.DataFrame:
    frame = make_prices(10)
    # Nulls in every nullable column of one row.
    frame.loc[3, ["price_eur_l", "fuel_id", "is_open", "city", "day"]] = None
    return frame
