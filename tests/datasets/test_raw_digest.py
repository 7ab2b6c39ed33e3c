"""``RawTablesDigestDataset``: rows, newest ``_updated_at`` and values digest per raw table and
day, written by the store's own upserts."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from data_collection_kedro.datasets import DuckDBTableDataset, RawTablesDigestDataset


def _prices(values: list[float], source: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "station_id": ["s1", "s1", "s2"],
            "fuel": ["Gazole"] * 3,
            "updated_at": pd.to_datetime(
                ["2024-01-01 08:00", "2024-01-02 08:00", "2024-01-02 09:00"]
            ),
            "price_eur_l": values,
            "_source_file": [source] * 3,
            "_source_line": [1, 2, 3],
        }
    )


def _digest(database: Path) -> pd.DataFrame:
    digest = RawTablesDigestDataset(database=str(database)).load()
    return digest.assign(day=digest["day"].astype(str)).set_index(["table", "day"])


def test_digest_per_day_moves_with_values_not_with_bookkeeping(tmp_path: Path) -> None:
    database = tmp_path / "store.duckdb"
    assert RawTablesDigestDataset(database=str(database)).load().empty  # no store yet
    prices = DuckDBTableDataset(
        database=str(database),
        table="raw_fuel_prices",
        key=["station_id", "fuel", "updated_at"],
        updated_at_column="_updated_at",
    )
    prices.save(_prices([1.8, 1.9, 2.0], "history.csv"))
    first = _digest(database)
    assert first["rows"].tolist() == [1, 2]
    assert set(first.index.get_level_values("table")) == {"raw_fuel_prices"}

    prices.save(_prices([1.8, 1.9, 2.0], "snapshot.zip"))  # same values from another file
    again = _digest(database)
    assert (again["updated_at"] > first["updated_at"]).all()  # the store rewrote the rows
    assert again["content"].tolist() == first["content"].tolist()  # their values did not move

    prices.save(_prices([1.8, 1.95, 2.0], "snapshot.zip"))  # one corrected price on 2 January
    corrected = _digest(database)
    assert (
        corrected.loc[("raw_fuel_prices", "2024-01-01"), "content"]
        == (first.loc[("raw_fuel_prices", "2024-01-01"), "content"])
    )
    assert (
        corrected.loc[("raw_fuel_prices", "2024-01-02"), "content"]
        != (first.loc[("raw_fuel_prices", "2024-01-02"), "content"])
    )


def test_the_day_of_a_utc_instant_is_its_utc_day(tmp_path: Path) -> None:
    """A zone-aware instant counts on its UTC day (computed from its epoch): 23:30 UTC stays on
    its day, and 1969 (a negative epoch) too."""
    database = tmp_path / "store.duckdb"
    stamps = ["2024-01-01 23:30", "2024-01-02 00:00", "2024-01-02 00:30", "1969-12-31 23:30"]
    DuckDBTableDataset(
        database=str(database),
        table="raw_consumption_national",
        key=["timestamp_utc"],
        updated_at_column="_updated_at",
    ).save(
        pd.DataFrame(
            {"timestamp_utc": pd.to_datetime(stamps, utc=True), "consumption_mw": [1.0] * 4}
        )
    )
    digest = _digest(database)
    assert digest["rows"].to_dict() == {
        ("raw_consumption_national", "1969-12-31"): 1,
        ("raw_consumption_national", "2024-01-01"): 1,
        ("raw_consumption_national", "2024-01-02"): 2,
    }
