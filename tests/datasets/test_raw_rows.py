"""``RawRowsDataset`` (``raw_{table}_rows``): a raw table as the fusion reads it. On the DuckDB
store, the rows from a day on come from a WHERE on the table's day column: they must be the
rows ``domain.fusion_window.rows_from`` keeps of the whole table (in the same order, with the
same dtypes), since UTC midnight for timestamps, rows without a day kept."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from kedro.io import DatasetError

from data_collection_kedro.datasets import DeclaredTableDataset, RawRowsDataset, raw_rows
from data_collection_kedro.domain.fusion_window import rows_from
from tests.support.mongo_server import MongoDatabase

STORE = "data_collection_kedro.datasets.DuckDBTableDataset"


def _save(database: Path, name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Stores ``frame`` as the ETL does; the whole table as a fusion node loaded it before."""
    table = DeclaredTableDataset(name=name, store=STORE, database=str(database))  # type: ignore[abstract]
    table.save(frame)
    loaded: pd.DataFrame = table.load()
    return loaded


def _rows(database: Path, name: str) -> RawRowsDataset:
    return RawRowsDataset(name=name, store=STORE, database=str(database))


@pytest.fixture
def prices(tmp_path: Path) -> tuple[Path, pd.DataFrame]:
    database = tmp_path / "store.duckdb"
    stamps = [
        "2024-01-03 08:00:00",
        "2024-01-01 23:59:59",
        "2024-01-02 00:00:00",
        "2024-01-02 18:00:00",
    ]
    whole = _save(
        database,
        "raw_fuel_prices",
        pd.DataFrame(
            {
                "station_id": ["s2", "s1", "s1", "s3"],
                "fuel": ["Gazole", "Gazole", "SP98", "E10"],
                "updated_at": pd.to_datetime(stamps, utc=True),
                "price_eur_l": [1.71, 1.72, 1.93, 1.80],
            }
        ),
    )
    return database, whole


def test_rows_since_a_day_are_those_the_whole_table_keeps(
    prices: tuple[Path, pd.DataFrame],
) -> None:
    database, whole = prices
    rows = _rows(database, "raw_fuel_prices").load()
    for first in (date(2024, 1, 1), date(2024, 1, 2), date(2024, 1, 3), date(2024, 1, 4)):
        expected = rows_from(whole, "updated_at", first)
        pd.testing.assert_frame_equal(rows.since(first), expected)
    assert len(rows.since(date(2024, 1, 2))) == 3  # 23:59:59 UTC on the 1st is not read
    pd.testing.assert_frame_equal(rows.since(None), whole)


def test_distinct_values_over_the_whole_table(prices: tuple[Path, pd.DataFrame]) -> None:
    database, _ = prices
    distinct = _rows(database, "raw_fuel_prices").load().distinct(["fuel", "station_id", "nope"])
    assert sorted(distinct.itertuples(index=False, name=None)) == [
        ("E10", "s3"),
        ("Gazole", "s1"),
        ("Gazole", "s2"),
        ("SP98", "s1"),
    ]


def test_rows_without_a_day_are_kept(tmp_path: Path) -> None:
    database = tmp_path / "store.duckdb"
    whole = _save(
        database,
        "raw_strikes",
        pd.DataFrame(
            {
                "strike_id": ["a", "b", "c"],
                "start_date": [date(2023, 5, 1), None, date(2024, 2, 1)],
                "sector": ["energie", "transport", "energie"],
            }
        ),
    )
    since = _rows(database, "raw_strikes").load().since(date(2024, 1, 1))
    assert since["strike_id"].tolist() == ["b", "c"]
    pd.testing.assert_frame_equal(since, rows_from(whole, "start_date", date(2024, 1, 1)))


def test_a_table_the_fusion_does_not_read_and_a_missing_table_are_refused(
    prices: tuple[Path, pd.DataFrame],
) -> None:
    database, _ = prices
    with pytest.raises(DatasetError, match="raw_grid_carbon_intensity"):
        _rows(database, "raw_grid_carbon_intensity")
    with pytest.raises(DatasetError, match="raw_weather_forecast does not exist"):
        _rows(database, "raw_weather_forecast").load().since(None)
    with pytest.raises(DatasetError, match="read-only"):
        _rows(database, "raw_fuel_prices").save(pd.DataFrame())


# ------------------------------------------------------------------------------ MongoDB store
MONGO = "data_collection_kedro.datasets.MongoCollectionDataset"


@pytest.mark.integration
def test_mongodb_rows_since_a_day_are_filtered_by_the_server(
    mongo_database: MongoDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The production raw store (the session's MongoDB wire-protocol server): the same rows as
    ``rows_from`` keeps of the whole collection, and the server does the filtering (with
    ``rows_from`` made a no-op in the dataset's module, the rows are still those of the
    days asked for); distinct values from the server, in the stored types."""
    settings = {"uri": mongo_database.uri, "database": mongo_database.name}
    stored = DeclaredTableDataset(name="raw_fuel_prices", store=MONGO, **settings)  # type: ignore[abstract]
    stamps = [
        "2024-01-03 08:00:00",
        "2024-01-01 23:59:59",
        "2024-01-02 00:00:00",
        "2024-01-02 18:00:00",
    ]
    stored.save(
        pd.DataFrame(
            {
                "station_id": ["s2", "s1", "s1", "s3"],
                "fuel": ["Gazole", "Gazole", "SP98", "E10"],
                "updated_at": pd.to_datetime(stamps, utc=True),
                "price_eur_l": [1.71, 1.72, 1.93, 1.80],
            }
        )
    )
    whole = stored.load()
    stored.release()
    rows = RawRowsDataset(name="raw_fuel_prices", store=MONGO, **settings).load()
    for first in (None, date(2024, 1, 1), date(2024, 1, 2), date(2024, 1, 4)):
        pd.testing.assert_frame_equal(rows.since(first), rows_from(whole, "updated_at", first))
    monkeypatch.setattr(raw_rows, "rows_from", lambda frame, column, first: frame)
    assert rows.since(date(2024, 1, 2))["station_id"].tolist() == ["s1", "s2", "s3"]
    assert rows.since(date(2024, 1, 3))["station_id"].tolist() == ["s2"]
    strikes = DeclaredTableDataset(name="raw_strikes", store=MONGO, **settings)  # type: ignore[abstract]
    strikes.save(pd.DataFrame({"strike_id": ["a", "b"], "start_date": [date(2023, 5, 1), None]}))
    strikes.release()
    since = RawRowsDataset(name="raw_strikes", store=MONGO, **settings).load().since
    assert since(date(2024, 1, 1))["strike_id"].tolist() == ["b"]  # no day: kept

    distinct = rows.distinct(["fuel", "station_id", "nope"])
    assert distinct.columns.tolist() == ["fuel", "station_id"]
    assert sorted(distinct.itertuples(index=False, name=None)) == [
        ("E10", "s3"),
        ("Gazole", "s1"),
        ("Gazole", "s2"),
        ("SP98", "s1"),
    ]
    days = rows.distinct(["updated_at"])  # restored as the whole load types them
    assert days["updated_at"].dtype == whole["updated_at"].dtype
    assert len(days) == 4
    with pytest.raises(DatasetError, match="raw_weather_forecast does not exist"):
        RawRowsDataset(name="raw_weather_forecast", store=MONGO, **settings).load().distinct(
            ["target_day"]
        )
