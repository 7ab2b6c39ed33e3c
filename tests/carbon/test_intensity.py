"""Run-time grid intensity from a fixture series, computed by hand."""

from __future__ import annotations

import pandas as pd
import pytest

from data_collection_kedro.carbon.intensity import (
    IntensitySeries,
    daily_best_hour,
    lowest_window,
)


def _series(values: dict[str, float], profile_days: int = 7) -> IntensitySeries:
    frame = pd.DataFrame(
        {"timestamp_utc": list(values), "carbon_intensity_g_per_kwh": list(values.values())}
    )
    return IntensitySeries.from_frame(frame, profile_days)


def _days(first: str, days: int, value: object) -> dict[str, float]:
    """Every quarter-hour of ``days`` Paris days from ``first``: ``value(day_index, hour)``."""
    start = pd.Timestamp(first).tz_localize("Europe/Paris")
    quarters = pd.date_range(start, start + pd.Timedelta(days=days), freq="15min")[:-1]
    return {
        q.tz_convert("UTC").isoformat(): value((q.normalize() - start).days, q.hour)  # type: ignore[operator]
        for q in quarters
    }


def test_a_run_takes_the_quarter_hours_it_ran_in_weighted_by_time() -> None:
    series = _series(
        {
            "2024-01-10T00:00:00Z": 40.0,
            "2024-01-10T00:15:00Z": 60.0,
            "2024-01-10T00:30:00Z": 80.0,
        }
    )
    # 00:10-00:40 UTC: 5 min at 40, 15 min at 60, 10 min at 80
    value, basis = series.over(
        pd.Timestamp("2024-01-10T00:10:00Z"), pd.Timestamp("2024-01-10T00:40:00Z")
    )
    assert value == pytest.approx((5 * 40 + 15 * 60 + 10 * 80) / 30)  # 63.33 g/kWh
    assert basis.kind == "measured" and basis.label() == "measured"
    # a run inside one quarter-hour, timestamps without zone are UTC
    value, _ = series.over(pd.Timestamp("2024-01-10 00:16"), pd.Timestamp("2024-01-10 00:17"))
    assert value == 60.0


def test_missing_quarter_hours_take_the_profile_of_the_previous_days() -> None:
    # 3 Paris days; value = 10 x (day number) + Paris hour
    series = _series(_days("2024-01-01", 3, lambda d, h: 10.0 * (d + 1) + h), profile_days=2)
    # 2024-01-05 10:00-10:15 Paris (09:00 UTC): no value; profile of 01-02 and 01-03 at 10:00
    value, basis = series.over(
        pd.Timestamp("2024-01-05T09:00:00Z"), pd.Timestamp("2024-01-05T09:15:00Z")
    )
    assert value == pytest.approx(((20 + 10) + (30 + 10)) / 2)  # 35
    assert basis.kind == "profile"
    assert basis.label() == "profile 2024-01-02..2024-01-03"
    # half stored (01-03 23:30-23:45 Paris), half profile (01-04 00:00-00:15 Paris)
    value, basis = series.over(
        pd.Timestamp("2024-01-03T22:30:00Z"), pd.Timestamp("2024-01-03T23:15:00Z")
    )
    stored = 30 + 23.0
    profile = ((20 + 0) + (30 + 0)) / 2
    assert value == pytest.approx((30 * stored + 15 * profile) / 45)
    assert basis.measured_share == pytest.approx(30 / 45)
    assert basis.kind == "mixed"
    # nothing before the day asked: the first days of the store, labelled
    early, basis = series.over(
        pd.Timestamp("2023-12-01T09:00:00Z"), pd.Timestamp("2023-12-01T09:15:00Z")
    )
    assert early == pytest.approx(((10 + 10) + (20 + 10)) / 2)
    assert basis.profile_days == ("2024-01-01", "2024-01-02")


def test_an_empty_store_gives_no_figure() -> None:
    value, basis = IntensitySeries.from_frame(None).over(
        pd.Timestamp("2024-01-01"), pd.Timestamp("2024-01-02")
    )
    assert pd.isna(value) and basis.measured_share == 0


def test_the_lowest_window_ahead_and_the_days_best_hour() -> None:
    # every day: 50 g/kWh, except 13:00-15:00 Paris at 20 and 08:00 at 30
    shape = {13: 20.0, 14: 20.0, 8: 30.0}
    series = _series(_days("2024-06-01", 7, lambda d, h: shape.get(h, 50.0)))
    now = pd.Timestamp("2024-06-08T06:00:00+02:00")
    window = lowest_window(series, now, horizon_hours=12, window_hours=1)
    assert window.start == pd.Timestamp("2024-06-08T13:00:00+02:00")
    assert window.predicted_g_per_kwh == pytest.approx(20.0)
    assert window.now_g_per_kwh == pytest.approx(50.0)
    assert window.basis == "profile of 2024-06-01..2024-06-07"
    # a two-hour window straddling 13-15 at 20; a short horizon stops at 08:00
    assert lowest_window(series, now, horizon_hours=12, window_hours=2).start.hour == 11  # UTC
    short = lowest_window(series, now, horizon_hours=4, window_hours=1)
    assert short.start == pd.Timestamp("2024-06-08T08:00:00+02:00")
    assert lowest_window(series, now, horizon_hours=0, window_hours=1).start == now

    assert daily_best_hour(series, pd.Timestamp("2024-06-03")) == (13, 20.0)


def test_a_start_later_than_now_is_on_a_quarter_hour() -> None:
    shape = {13: 20.0}
    series = _series(_days("2024-06-01", 7, lambda d, h: shape.get(h, 50.0)))
    now = pd.Timestamp("2024-06-08T06:07:31+02:00")
    window = lowest_window(series, now, horizon_hours=12, window_hours=1)
    assert window.start == pd.Timestamp("2024-06-08T13:00:00+02:00")
    # nothing better ahead: at once, not at the next quarter-hour
    flat = _series(_days("2024-06-01", 7, lambda d, h: 50.0))
    assert lowest_window(flat, now, horizon_hours=12, window_hours=1).start == now


def test_an_old_profile_means_starting_at_once() -> None:
    """A store no ingestion refreshed: its newest day 4 days before today is past the limit."""
    shape = {13: 20.0}
    series = _series(_days("2024-06-01", 7, lambda d, h: shape.get(h, 50.0)))
    now = pd.Timestamp("2024-06-11T06:00:00+02:00")  # newest stored day 2024-06-07
    fresh = lowest_window(series, now, horizon_hours=12, window_hours=1, max_profile_age_days=4)
    assert fresh.start == pd.Timestamp("2024-06-11T13:00:00+02:00")
    old = lowest_window(series, now, horizon_hours=12, window_hours=1, max_profile_age_days=3)
    assert old.start == now
    assert (
        old.basis == "newest stored intensity 2024-06-07, 4 days old (more than 3): start at once"
    )
