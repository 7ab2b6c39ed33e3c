"""Shared store helpers: key hashing, batching, progress, in-save key clean-up."""

from __future__ import annotations

import datetime as dt
import io
import logging

import numpy as np
import pandas as pd
import pytest

from data_collection_kedro.datasets._store_common import (
    BatchProgress,
    batch_bounds,
    drop_invalid_keys,
    key_hash,
)


def test_key_hash_is_deterministic_across_value_types() -> None:
    day = key_hash([dt.date(2024, 3, 31), "75", "Gazole"])
    assert day == key_hash([dt.date(2024, 3, 31), np.str_("75"), "Gazole"])
    assert day != key_hash([dt.date(2024, 4, 1), "75", "Gazole"])
    ts = pd.Timestamp("2024-03-31 02:30", tz="UTC")
    assert key_hash([ts]) == key_hash([ts.to_pydatetime()])
    assert key_hash([np.int64(7)]) == key_hash([7])
    assert len(day) == 40 and int(day, 16) >= 0


def test_batch_bounds() -> None:
    assert list(batch_bounds(10, 4)) == [(0, 4), (4, 8), (8, 10)]
    assert list(batch_bounds(0, 4)) == []
    with pytest.raises(ValueError, match="positive"):
        list(batch_bounds(3, 0))


def test_progress_logs_without_a_terminal(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO), BatchProgress("t", 10) as progress:
        progress.update(6)
        progress.update(4)
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 2 and "10/10 rows (100%)" in messages[1]
    assert progress.batches == 2


def test_progress_draws_a_bar_on_a_terminal(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    terminal = Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    with caplog.at_level(logging.INFO), BatchProgress("raw_fuel_prices", 10) as progress:
        progress.update(10)
    assert "raw_fuel_prices:" in terminal.getvalue() and "/10 [" in terminal.getvalue()
    assert not [r for r in caplog.records if "batch" in r.getMessage()]


def test_drop_invalid_keys_keeps_last_and_names_missing_columns() -> None:
    frame = pd.DataFrame({"k": ["a", "b", "a", None], "v": [1, 2, 3, 4]})
    result = drop_invalid_keys(frame, ["k"], "t")
    assert result.data["v"].tolist() == [2, 3]
    assert (result.dropped_duplicates, result.dropped_null_keys) == (1, 1)
    with pytest.raises(ValueError, match=r"key column\(s\) \['day'\] missing"):
        drop_invalid_keys(frame, ["k", "day"], "t")
