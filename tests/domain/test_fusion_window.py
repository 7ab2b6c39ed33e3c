"""The incremental fusion's plan (``domain.fusion_window``): which days a run recomputes, per
family, from the raw store's digest and the state the previous run recorded."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pandas as pd
import pytest

from data_collection_kedro.domain.fusion_window import (
    DIGEST_COLUMNS,
    FAMILIES,
    FULL_RUN,
    FusionWindow,
    family_reach,
    index_rows,
    plan_window,
    rows_from,
)

PARAMS: dict[str, Any] = {
    "max_temperature_gap_days": 3,
    "operator_share_window_days": 28,
    "max_price_age_days": 31,
}
T0 = pd.Timestamp("2024-01-10 03:00", tz="UTC")  # the first run's ETL
T1 = pd.Timestamp("2024-01-11 03:00", tz="UTC")  # the next run's ETL
FIRST, LAST = date(2023, 1, 1), date(2024, 1, 9)


def _days(
    table: str, first: date, last: date, stamp: pd.Timestamp, content: str = "a"
) -> list[dict[str, Any]]:
    count = (last - first).days + 1
    return [
        {
            "table": table,
            "day": first + timedelta(days=i),
            "rows": 48,
            "updated_at": stamp,
            "content": content,
        }
        for i in range(count)
    ]


def _digest(*extra: dict[str, Any], drop: str | None = None) -> pd.DataFrame:
    rows = [
        *_days("raw_consumption_regional", FIRST, LAST, T0),
        *_days("raw_fuel_prices", FIRST, LAST, T0),
        *_days("raw_weather_forecast", FIRST, LAST, T0),
        {"table": "raw_fuel_stations", "day": None, "rows": 60, "updated_at": T0, "content": "s"},
    ]
    frame = pd.DataFrame([*rows, *extra], columns=DIGEST_COLUMNS)
    return frame[frame["table"] != drop] if drop else frame


def _stored(params: dict[str, Any] = PARAMS) -> pd.DataFrame:
    """The state a first run on ``_digest()`` recorded."""
    state = plan_window(_digest(), None, params).state
    return state.astype(object).where(state.notna(), None)


def _modes(window: FusionWindow) -> dict[str, str]:
    return {family: plan.mode for family, plan in window.families.items()}


def test_the_first_run_and_a_parameter_change_rebuild_everything() -> None:
    first = plan_window(_digest(), None, PARAMS)
    assert first.is_full and first.of("observed").reason == "no fusion recorded yet"
    changed = plan_window(_digest(), _stored(), {**PARAMS, "max_price_age_days": 10})
    assert changed.is_full and "parameters" in changed.of("fuel").reason
    off = plan_window(_digest(), _stored(), {**PARAMS, "incremental": False})
    assert off.is_full and off.of("forecast").reason == "data_fusion.incremental is false"


def test_nothing_changed_leaves_every_family_unchanged() -> None:
    window = plan_window(_digest(), _stored(), PARAMS)
    assert _modes(window) == dict.fromkeys(FAMILIES, "unchanged")
    # rows rewritten with the same values (re-ingested from another file): still unchanged
    rewritten = _digest().assign(updated_at=T1)
    assert _modes(plan_window(rewritten, _stored(), PARAMS)) == _modes(window)


def test_a_new_day_gives_its_family_a_window_looking_back_and_forward() -> None:
    new_day = LAST + timedelta(days=1)
    digest = _digest(*_days("raw_consumption_regional", new_day, new_day, T1))
    window = plan_window(digest, _stored(), PARAMS)
    assert _modes(window) == {"observed": "window", "fuel": "unchanged", "forecast": "unchanged"}
    ahead, back = family_reach("observed", PARAMS)
    assert (ahead, back) == (4, 60)
    plan = window.of("observed")
    assert plan.since == new_day - timedelta(days=4)
    assert plan.read_from == new_day - timedelta(days=64)
    state = window.state[window.state["name"] == "raw_consumption_regional"]
    assert state["day"].max() == new_day.isoformat() and len(state) == (new_day - FIRST).days + 1
    assert {pd.Timestamp(w) for w in state["watermark"]} == {T1}


def test_a_corrected_past_row_and_new_days_after_a_gap_move_the_window_back() -> None:
    digest = _digest()
    corrected = (digest["table"] == "raw_fuel_prices") & (digest["day"] == date(2023, 12, 1))
    digest.loc[corrected, ["updated_at", "content"]] = [T1, "b"]
    assert plan_window(digest, _stored(), PARAMS).of("fuel").since == date(2023, 11, 30)

    after_gap = LAST + timedelta(days=10)  # nine days without a forecast, then one
    digest = _digest(*_days("raw_weather_forecast", after_gap, after_gap, T1))
    plan = plan_window(digest, _stored(), PARAMS).of("forecast")
    assert plan.since == LAST  # the day after the last stored one, less a day for time zones


@pytest.mark.parametrize(
    ("digest", "reason"),
    [
        (_digest(drop="raw_fuel_stations"), "appeared or disappeared"),
        (
            _digest().assign(rows=lambda f: f["rows"].where(f["table"] != "raw_fuel_stations", 59)),
            "shrank",
        ),
        (
            _digest().assign(
                content=lambda f: f["content"].where(f["table"] != "raw_fuel_stations", "t")
            ),
            "counts on every day",
        ),
        (
            _digest().assign(
                content=lambda f: f["content"].where(f["table"] != "raw_fuel_prices", "b")
            ),
            "every day",
        ),
    ],
)
def test_fuel_rebuilds_whole_on_station_changes_shrinks_and_rewrites(
    digest: pd.DataFrame, reason: str
) -> None:
    window = plan_window(digest, _stored(), PARAMS)
    assert window.of("fuel").mode == "full" and reason in window.of("fuel").reason
    assert window.of("observed").mode == "unchanged"


def test_a_window_reaching_the_start_of_the_history_is_a_full_rebuild() -> None:
    digest = _digest()
    early = (digest["table"] == "raw_consumption_regional") & (digest["day"] == date(2023, 2, 1))
    digest.loc[early, ["updated_at", "content"]] = [T1, "b"]
    plan = plan_window(digest, _stored(), PARAMS).of("observed")
    assert plan.mode == "full" and "start of the history" in plan.reason


def test_index_rows_and_raw_rows_of_a_window() -> None:
    index = pd.DataFrame({"day": [date(2024, 1, d) for d in (1, 2, 3)], "value": [1.0, 2.0, 3.0]})
    digest = _digest(*_days("raw_consumption_regional", date(2024, 1, 10), date(2024, 1, 10), T1))
    plan = plan_window(digest, _stored(), PARAMS).of("observed")
    rows = index_rows(index, plan)
    assert rows.since == plan.since and rows.frame.empty  # the days before since are not written
    assert index_rows(index, FULL_RUN.of("observed")).frame is index
    unchanged = index_rows(index, plan_window(_digest(), _stored(), PARAMS).of("fuel"))
    assert unchanged.upsert_only and unchanged.frame.empty

    raw = pd.DataFrame(
        {
            "timestamp_utc": pd.to_datetime(
                ["2024-01-01 22:00", "2024-01-02 00:30", None], utc=True
            ),
            "mw": [1.0, 2.0, 3.0],
        }
    )
    kept = rows_from(raw, "timestamp_utc", date(2024, 1, 2))
    assert kept["mw"].tolist() == [2.0, 3.0]  # a row without a time is kept: the rules report it
