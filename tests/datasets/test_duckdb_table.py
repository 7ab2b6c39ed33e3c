"""DuckDB-specific behaviour of the embedded store: replace/append modes, locking, queries."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest
from kedro.io import DatasetError

from data_collection_kedro.datasets import DuckDBQueryDataset, DuckDBTableDataset
from data_collection_kedro.datasets.duckdb_table import hold_for_run, keep_open
from data_collection_kedro.domain.fusion_window import IndexRows
from tests.support.store_file import other_process_can_write
from tests.support.store_frames import make_prices

KEY = ["station_id", "fuel", "updated_at"]


@pytest.fixture
def database(tmp_path: Path) -> Path:
    return tmp_path / "nested" / "dir" / "store.duckdb"


def test_parent_dirs_created_and_connection_closed_after_save(database: Path) -> None:
    ds = DuckDBTableDataset(database=str(database), table="raw_fuel_prices", key=KEY)
    ds.save(make_prices(5))
    # Another process can open the file read-write: the dataset holds no connection.
    code = f"import duckdb; duckdb.connect({str(database)!r}).execute('SELECT 1').fetchall()"
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_replace_swaps_the_whole_table(database: Path) -> None:
    ds = DuckDBTableDataset(
        database=str(database), table="meteo_consommation", key=KEY, mode="replace", batch_size=3
    )
    ds.save(make_prices(10))
    ds.save(make_prices(4, start=100))
    loaded = ds.load()
    assert len(loaded) == 4
    assert loaded["updated_at"].min() == make_prices(1, start=100)["updated_at"].iloc[0]
    assert ds.last_result is not None
    assert ds.last_result.extra["replaced_rows"] == 10
    assert ds.last_result.batches == 2
    with duckdb.connect(str(database), read_only=True) as con:
        tables = [
            r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()
        ]
        indexes = con.execute("SELECT index_name FROM duckdb_indexes()").fetchall()
    assert tables == ["meteo_consommation"]  # no staging table left behind
    assert indexes == [("meteo_consommation__key",)]


def _days(rows: list[tuple[str, str, float]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["region_code", "day", "value"]).assign(
        day=lambda f: pd.to_datetime(f["day"]).dt.date
    )


def test_index_rows_replace_the_table_or_the_days_from_since(database: Path) -> None:
    """The incremental fusion's rows: the whole index replaced, or the days from ``since``
    upserted with the stored rows of those days they lack deleted (earlier days untouched)."""
    ds = DuckDBTableDataset(
        database=str(database), table="meteo_consommation", key=["region_code", "day"]
    )
    ds.save(IndexRows(_days([("11", "2024-01-01", 1.0), ("11", "2024-01-02", 2.0)])))
    ds.save(IndexRows(_days([("11", "2024-01-01", 1.5), ("53", "2024-01-01", 3.0)])))
    assert ds.load()["value"].tolist() == [1.5, 3.0]  # replaced: 2 January is gone

    since = pd.Timestamp("2024-01-02").date()
    ds.save(IndexRows(_days([("11", "2024-01-02", 4.0)]), since=since))
    ds.save(IndexRows(_days([("53", "2024-01-02", 5.0), ("53", "2024-01-03", 6.0)]), since=since))
    loaded = ds.load()
    stored = zip(loaded["region_code"], loaded["day"].astype(str), loaded["value"], strict=True)
    assert list(stored) == [
        ("11", "2024-01-01", 1.5),
        ("53", "2024-01-01", 3.0),
        ("53", "2024-01-02", 5.0),
        ("53", "2024-01-03", 6.0),
    ]  # 11 on 2 January: a stored row of the days from since that the rows lack
    assert ds.last_result is not None and ds.last_result.extra["deleted"] == 1
    ds.save(IndexRows(pd.DataFrame(), upsert_only=True))  # an unchanged family: nothing
    assert len(ds.load()) == 4


def test_failed_replace_keeps_the_old_table(database: Path) -> None:
    ds = DuckDBTableDataset(
        database=str(database), table="meteo_consommation", key=KEY, mode="replace"
    )
    ds.save(make_prices(6))
    bad = make_prices(3)
    bad["price_eur_l"] = pd.Series([1.0, "not a number", 2.0], dtype=object)
    with pytest.raises(DatasetError):
        ds.save(bad)
    assert len(ds.load()) == 6


def test_append_keeps_stored_rows_for_known_keys(database: Path) -> None:
    ds = DuckDBTableDataset(
        database=str(database), table="model_monitoring", key=KEY, mode="append"
    )
    ds.save(make_prices(4))
    changed = make_prices(6)
    changed["price_eur_l"] = 9.0
    ds.save(changed)
    res = ds.last_result
    assert res is not None and (res.inserted, res.unchanged, res.updated) == (2, 4, 0)
    loaded = ds.load()
    assert (loaded["price_eur_l"] == 9.0).sum() == 2


def test_append_without_key_inserts_everything(database: Path) -> None:
    ds = DuckDBTableDataset(database=str(database), table="events")
    ds.save(make_prices(3))
    ds.save(make_prices(3))
    assert len(ds.load()) == 6


def test_upsert_needs_a_key(database: Path) -> None:
    with pytest.raises(DatasetError, match="needs a key"):
        DuckDBTableDataset(database=str(database), table="t", mode="upsert")


def test_missing_key_column_is_named(database: Path) -> None:
    ds = DuckDBTableDataset(database=str(database), table="t", key=["station_id", "region_code"])
    with pytest.raises(DatasetError, match=r"\['region_code'\] missing"):
        ds.save(make_prices(2))


def test_save_waits_for_a_lock_held_by_another_process(database: Path) -> None:
    database.parent.mkdir(parents=True)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(
                f"""
                import duckdb, sys, time
                con = duckdb.connect({str(database)!r})
                print("locked", flush=True)
                time.sleep(1.5)
                con.close()
                """
            ),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None
    assert holder.stdout.readline().strip() == "locked"
    ds = DuckDBTableDataset(database=str(database), table="raw_fuel_prices", key=KEY)
    ds.save(make_prices(3))  # retries until the other process releases the file
    assert holder.wait(timeout=60) == 0
    assert len(ds.load()) == 3


def test_lock_timeout_gives_up_with_the_lock_error(database: Path) -> None:
    database.parent.mkdir(parents=True)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import duckdb, time; c = duckdb.connect({str(database)!r}); print('locked', flush=True); time.sleep(5)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        ds = DuckDBTableDataset(
            database=str(database), table="raw_fuel_prices", key=KEY, lock_timeout_s=0.3
        )
        with pytest.raises(DatasetError, match="lock"):
            ds.save(make_prices(2))
    finally:
        holder.kill()
        holder.wait(timeout=60)


def test_concurrent_saves_in_threads(database: Path) -> None:
    ds = DuckDBTableDataset(database=str(database), table="raw_fuel_prices", key=KEY, batch_size=5)
    errors: list[BaseException] = []

    def save(start: int) -> None:
        try:
            ds.save(make_prices(20, start=start))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=save, args=(s,)) for s in (0, 20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors
    assert len(ds.load()) == 40


def test_query_dataset(database: Path) -> None:
    DuckDBTableDataset(database=str(database), table="raw_fuel_prices", key=KEY).save(
        make_prices(8)
    )
    watermark = DuckDBQueryDataset(
        database=str(database),
        sql="SELECT max(updated_at) AS newest, count(*) AS n FROM raw_fuel_prices",
    )
    row = watermark.load().iloc[0]
    assert row["newest"] == make_prices(8)["updated_at"].max()
    assert row["n"] == 8
    with pytest.raises(DatasetError, match="read-only"):
        watermark.save(pd.DataFrame())


def test_query_dataset_missing_ok(database: Path) -> None:
    sql = "SELECT max(updated_at) AS newest FROM raw_fuel_prices"
    assert DuckDBQueryDataset(database=str(database), sql=sql, missing_ok=True).load().empty
    with pytest.raises(DatasetError, match="does not exist"):
        DuckDBQueryDataset(database=str(database), sql=sql).load()
    DuckDBTableDataset(database=str(database), table="other", key=KEY).save(make_prices(1))
    assert DuckDBQueryDataset(database=str(database), sql=sql, missing_ok=True).load().empty


def test_load_of_missing_table_is_a_clear_error(database: Path) -> None:
    ds = DuckDBTableDataset(database=str(database), table="raw_strikes", key=["strike_id"])
    with pytest.raises(DatasetError, match="never saved"):
        ds.load()
    DuckDBTableDataset(database=str(database), table="other", key=KEY).save(make_prices(1))
    with pytest.raises(DatasetError, match="table raw_strikes does not exist"):
        ds.load()
    assert not ds.exists()


def test_catalog_entry_builds_the_dataset(database: Path) -> None:
    from kedro.io import DataCatalog

    catalog = DataCatalog.from_config(
        {
            "raw_fuel_prices": {
                "type": "data_collection_kedro.datasets.DuckDBTableDataset",
                "database": str(database),
                "table": "raw_fuel_prices",
                "key": KEY,
                "batch_size": 4,
                "load_args": {"where": "fuel = 'SP95'"},
            }
        }
    )
    catalog.save("raw_fuel_prices", make_prices(10))
    assert set(catalog.load("raw_fuel_prices")["fuel"]) == {"SP95"}


def test_save_waits_for_a_read_only_connection_of_this_process(database: Path) -> None:
    ds = DuckDBTableDataset(database=str(database), table="raw_fuel_prices", key=KEY)
    ds.save(make_prices(3))
    reader = duckdb.connect(str(database), read_only=True)
    timer = threading.Timer(0.5, reader.close)
    timer.start()
    try:
        ds.save(make_prices(3, start=3))  # retries until the reader is closed
    finally:
        timer.join()
    assert len(ds.load()) == 6


def test_extra_indexes_survive_upserts_and_type_changes(database: Path) -> None:
    ds = DuckDBTableDataset(
        database=str(database),
        table="raw_fuel_prices",
        key=KEY,
        indexes=[["fuel"], "day"],
        load_args={"limit": 4},
    )
    ds.save(make_prices(6).assign(note=None))
    changed = make_prices(8)
    changed["price_eur_l"] += 1
    ds.save(changed.assign(note=1.5))  # upsert + the all-null VARCHAR column becomes DOUBLE
    assert ds.last_result is not None
    assert (ds.last_result.inserted, ds.last_result.updated) == (2, 6)
    with duckdb.connect(str(database), read_only=True) as con:
        names = sorted(
            r[0] for r in con.execute("SELECT index_name FROM duckdb_indexes()").fetchall()
        )
    assert names == ["raw_fuel_prices__day", "raw_fuel_prices__fuel", "raw_fuel_prices__key"]
    loaded = ds.load()
    assert len(loaded) == 4  # load_args.limit
    assert loaded["note"].dtype == "float64" and (loaded["note"] == 1.5).all()


def test_a_table_stored_under_another_key_is_refused_with_the_fix(tmp_path: Path) -> None:
    """A declaration whose natural key changed (raw_gas_load_curve: region -> region_code)."""
    database = str(tmp_path / "store.duckdb")
    old = pd.DataFrame({"day": ["2021-01-01"], "region": ["bretagne"], "mwh": [1.0]})
    DuckDBTableDataset(database, "raw_gas", key=["day", "region"]).save(old)
    new = old.assign(region_code="53")
    with pytest.raises(
        DatasetError, match=r"stored with the natural key \['day', 'region'\].*DROP TABLE raw_gas"
    ):
        DuckDBTableDataset(database, "raw_gas", key=["day", "region_code"]).save(new)


def test_an_empty_frame_creates_the_table_and_adds_columns_but_writes_nothing(
    database: Path,
) -> None:
    """A source skipped by an incremental run saves empty tables: they still exist with their
    columns, and the stored rows (and their write times) are untouched."""
    ds = DuckDBTableDataset(
        database=str(database), table="raw_fuel_prices", key=KEY, updated_at_column="_updated_at"
    )
    no_rows = make_prices(1).iloc[:0]  # typed columns, as the ETL's empty tables
    ds.save(no_rows)
    with duckdb.connect(str(database), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM raw_fuel_prices").fetchall() == [(0,)]
    ds.save(make_prices(3))
    with duckdb.connect(str(database), read_only=True) as con:
        written = con.execute("SELECT max(_updated_at) FROM raw_fuel_prices").fetchall()
    ds.save(no_rows)
    assert ds.last_result is not None
    assert (ds.last_result.inserted, ds.last_result.updated, ds.last_result.rows) == (0, 0, 0)
    ds.save(no_rows.assign(note=pd.Series(dtype="float64")))  # a column declared later
    with duckdb.connect(str(database), read_only=True) as con:
        assert con.execute("SELECT max(_updated_at) FROM raw_fuel_prices").fetchall() == written
        columns = [r[0] for r in con.execute("DESCRIBE raw_fuel_prices").fetchall()]
        assert con.execute("SELECT count(*) FROM raw_fuel_prices").fetchall() == [(3,)]
    assert "note" in columns


def test_a_run_keeps_the_file_open_between_saves_then_releases_it(database: Path) -> None:
    """``keep_open`` (a Kedro run, StoreConnectionHook): the file stays open after a save, the
    loads of this process still work, and another process gets the file once released."""
    ds = DuckDBTableDataset(database=str(database), table="raw_fuel_prices", key=KEY)
    try:
        keep_open(600)
        ds.save(make_prices(5))
        assert not other_process_can_write(database)  # held by this process
        ds.save(make_prices(8))
        assert len(ds.load()) == 8  # a read-only load shares the open file
        assert len(DuckDBQueryDataset(str(database), "SELECT * FROM raw_fuel_prices").load()) == 8
    finally:
        keep_open(0)
    assert other_process_can_write(database)


def test_a_file_held_for_the_run_is_opened_once_and_released_at_its_end(
    database: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``hold_for_run`` (a Kedro run, StoreConnectionHook ``keep_open: run``): the first save
    opens the file, the other saves and loads of the process share it however long they are
    apart (no idle release), and it is released once the run is over."""
    opened: list[str] = []
    real_connect = duckdb.connect

    def counted(path: Any = ":memory:", *args: Any, **kwargs: Any) -> Any:
        opened.append(str(path))
        return real_connect(path, *args, **kwargs)

    monkeypatch.setattr(duckdb, "connect", counted)
    ds = DuckDBTableDataset(database=str(database), table="raw_fuel_prices", key=KEY)
    query = DuckDBQueryDataset(str(database), "SELECT count(*) AS n FROM raw_fuel_prices")
    try:
        hold_for_run(True)
        ds.save(make_prices(5))
        time.sleep(0.3)  # longer than a node's keep_open_s would keep it
        ds.save(make_prices(8))
        assert len(ds.load()) == 8 and ds.exists()
        assert query.load()["n"].tolist() == [8]
        assert opened.count(str(database)) == 1
        assert not other_process_can_write(database)  # held by this process
    finally:
        hold_for_run(False)
    assert other_process_can_write(database)
    assert len(ds.load()) == 8  # outside a run: opened per load again
    assert opened.count(str(database)) == 2


def test_a_kept_file_is_released_after_the_idle_time(database: Path) -> None:
    ds = DuckDBTableDataset(database=str(database), table="raw_fuel_prices", key=KEY)
    try:
        keep_open(0.2)
        ds.save(make_prices(5))
        deadline = time.monotonic() + 30
        while not other_process_can_write(database):
            assert time.monotonic() < deadline, "the file was never released"
            time.sleep(0.2)
    finally:
        keep_open(0)


def _store_contents(database: Path, table: str) -> dict[str, Any]:
    """The table's rows, columns and indexes (read through the store's own connection: the
    file may be held by this process)."""
    from data_collection_kedro.datasets.duckdb_table import connect

    con = connect(database, read_only=True)
    try:
        types = con.sql(f'DESCRIBE "{table}"').fetchall()
        kept = [i for i, column in enumerate(types) if column[0] != "_updated_at"]  # a time
        rows = con.sql(f'SELECT * FROM "{table}" ORDER BY k').fetchall()
        return {
            "rows": [tuple(row[i] for i in kept) for row in rows],
            "types": types,
            "indexes": sorted(
                con.execute(
                    "SELECT index_name FROM duckdb_indexes() WHERE table_name = ?", [table]
                ).fetchall()
            ),
        }
    finally:
        con.close()


def test_saves_of_a_held_file_ask_the_catalog_once_and_store_what_separate_saves_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While a run holds the file, a save reuses what the earlier saves learnt of the table
    (columns, types, stored key, indexes, rows; a save of no rows into known columns opens
    nothing): fewer statements, and every schema change a save makes (a new table, an added
    column, even by a save of no rows, a widened type, a replaced table, deleted rows) is seen
    by the next save, which stores what it stores when each save opens the file on its own."""
    from data_collection_kedro.datasets import duckdb_table

    saves: list[Any] = [
        pd.DataFrame({"k": [1, 2], "v": [10, 20]}),
        pd.DataFrame({"k": [2, 3], "v": [21, 30]}),
        pd.DataFrame({"k": pd.Series([], dtype="int64"), "v": pd.Series([], dtype="int64")}),
        pd.DataFrame({"k": pd.Series([], dtype="int64"), "extra": pd.Series([], dtype="str")}),
        pd.DataFrame({"k": [3], "v": [31], "note": [None]}),  # new all-null column: VARCHAR
        pd.DataFrame({"k": [4], "v": [40.5], "note": [1.5]}),  # widened: v DOUBLE, note DOUBLE
        pd.DataFrame({"k": pd.Series([], dtype="int64"), "v": pd.Series([], dtype="float64")}),
        pd.DataFrame({"k": [1, 5], "v": [11.0, 50.0]}),
        IndexRows(pd.DataFrame({"k": [1, 2], "v": [1.0, 2.0]}), since=None, column="k"),
        pd.DataFrame({"k": [2, 6], "v": [2.5, 60.0]}),
        IndexRows(pd.DataFrame({"k": [2], "v": [2.0]}), since=2, column="k"),  # deletes k 6
        pd.DataFrame({"k": [7], "v": [70.0]}),
    ]

    def play(database: Path, held: bool) -> tuple[int, list[dict[str, Any]]]:
        statements = 0
        after_each: list[dict[str, Any]] = []
        real_run, real_columns = duckdb_table.run, duckdb_table.table_columns

        def counted_run(*args: Any, **kwargs: Any) -> Any:
            nonlocal statements
            statements += 1
            return real_run(*args, **kwargs)

        def counted_columns(*args: Any, **kwargs: Any) -> Any:
            nonlocal statements
            statements += 1
            return real_columns(*args, **kwargs)

        monkeypatch.setattr(duckdb_table, "run", counted_run)
        monkeypatch.setattr(duckdb_table, "table_columns", counted_columns)
        dataset = DuckDBTableDataset(str(database), "t", key=["k"], updated_at_column="_updated_at")
        if held:
            hold_for_run(True)
        try:
            for data in saves:
                dataset.save(data)
                counted = statements
                after_each.append(_store_contents(database, "t"))
                statements = counted  # reading is not counted
        finally:
            if held:
                hold_for_run(False)
            monkeypatch.setattr(duckdb_table, "run", real_run)
            monkeypatch.setattr(duckdb_table, "table_columns", real_columns)
        return statements, after_each

    separate, expected = play(tmp_path / "separate.duckdb", held=False)
    held, contents = play(tmp_path / "held.duckdb", held=True)
    assert contents == expected  # after every save
    assert "extra" in [r[0] for r in expected[3]["types"]]  # added by a save of no rows
    assert [r[0] for r in expected[-1]["rows"]] == [1, 2, 7]
    assert held < separate * 0.8, (held, separate)
