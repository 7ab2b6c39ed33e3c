"""StoreConnectionHook through real KedroSession runs of the probe project: the embedded
store's file is opened once per run (``duckdb_store.keep_open: run``) and released when the
run ends or fails, so other processes get it back."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import pytest

from tests.support.carbon_probe import ProbeRunner
from tests.support.store_file import other_process_can_write


@pytest.fixture
def file_opens(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The paths DuckDB opened a database file for (real opens, counted)."""
    opened: list[str] = []
    real_connect: Callable[..., Any] = duckdb.connect

    def counted(database: Any = ":memory:", *args: Any, **kwargs: Any) -> Any:
        opened.append(str(database))
        return real_connect(database, *args, **kwargs)

    monkeypatch.setattr(duckdb, "connect", counted)
    return opened


def test_a_run_opens_the_store_once_and_releases_it_at_the_end(
    run_probe: ProbeRunner, carbon_out: Path, file_opens: list[str]
) -> None:
    """Two saves and a load of one file in one run: one open (the connections of the run
    share it); another process writes it as soon as the run is over."""
    database = carbon_out / "probe.duckdb"
    run_probe("store_and_read")
    assert file_opens.count(str(database)) == 1, file_opens
    assert other_process_can_write(database)

    file_opens.clear()
    run_probe("store_and_read")  # a second run opens it again, once
    assert file_opens.count(str(database)) == 1
    assert other_process_can_write(database)


def test_per_node_keeping_opens_the_store_at_each_node(
    run_probe: ProbeRunner,
    carbon_out: Path,
    file_opens: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CARBON_PROBE_KEEP_OPEN", "node")
    database = carbon_out / "probe.duckdb"
    run_probe("store_and_read")
    assert file_opens.count(str(database)) >= 3  # released with each node's last output
    assert other_process_can_write(database)


def test_a_failed_run_releases_the_store(
    run_probe: ProbeRunner, carbon_out: Path, file_opens: list[str]
) -> None:
    database = carbon_out / "probe.duckdb"
    with pytest.raises(RuntimeError, match="node failure on purpose"):
        run_probe("store_then_fail")
    assert file_opens.count(str(database)) == 1
    assert other_process_can_write(database)
    with duckdb.connect(str(database), read_only=True) as con:  # the saved rows are there
        assert con.execute("SELECT count(*) FROM raw_records").fetchall() == [(3,)]
