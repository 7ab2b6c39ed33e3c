"""The grid's carbon intensity over time (RTE eco2mix ``Taux de CO2``, g CO2/kWh per
quarter-hour): the intensity of the quarter-hours a run ran in, the profile of the previous
days when the store has no value for them, and the lowest-intensity window ahead.

Pure functions of a :class:`IntensitySeries` (built from the raw table
``raw_grid_carbon_intensity``); the carbon summary and the carbon-aware start of the fusion +
training DAG both use them.

Conventions:

- a value stamped ``t`` (UTC) holds for the quarter-hour ``[t, t + 15 min)``;
- a quarter-hour without a value takes the **profile**: the mean of the same Paris time of day
  over the ``profile_days`` most recent days with values on or before that day (the days after
  it when the store holds none before), labelled with the days it used;
- a run's intensity is the mean of its quarter-hours' values weighted by the seconds it spent
  in each (its energy is taken as spread evenly over its duration).
"""

from __future__ import annotations

import dataclasses
from functools import cached_property

import numpy as np
import pandas as pd

QUARTER = pd.Timedelta(minutes=15)
TIMEZONE = "Europe/Paris"
TIMESTAMP = "timestamp_utc"
VALUE = "carbon_intensity_g_per_kwh"
MEASURED = "measured"
PROFILE = "profile"


@dataclasses.dataclass(frozen=True)
class Basis:
    """How an intensity figure was obtained: ``measured`` (every quarter-hour had a stored
    value), ``profile`` (none had) or a mix, with the days the profile used."""

    measured_share: float  # share of the time covered by stored values
    profile_days: tuple[str, str] | None = None  # first and last day of the profile used

    @property
    def kind(self) -> str:
        if self.measured_share >= 1.0 - 1e-9:
            return MEASURED
        if self.measured_share <= 1e-9:
            return PROFILE
        return "mixed"

    def label(self) -> str:
        if self.kind == MEASURED:
            return MEASURED
        days = f" {self.profile_days[0]}..{self.profile_days[1]}" if self.profile_days else ""
        if self.kind == PROFILE:
            return f"{PROFILE}{days}"
        return f"{self.measured_share:.0%} {MEASURED}, rest {PROFILE}{days}"


class IntensitySeries:
    """Quarter-hour intensities (g/kWh) indexed by their UTC start."""

    def __init__(self, values: pd.Series, profile_days: int = 7) -> None:
        index = pd.DatetimeIndex(values.index)
        index = index.tz_localize("UTC") if index.tz is None else index.tz_convert("UTC")
        series = pd.Series(values.to_numpy(dtype=float), index=index.floor("15min"))
        series = series[~series.index.duplicated(keep="last")].dropna().sort_index()
        self.values = series
        self.profile_days = int(profile_days)
        self._profiles: dict[pd.Timestamp, tuple[pd.Series, tuple[str, str]]] = {}

    @classmethod
    def from_frame(cls, frame: pd.DataFrame | None, profile_days: int = 7) -> IntensitySeries:
        """From rows of ``raw_grid_carbon_intensity`` (``timestamp_utc``, intensity column)."""
        if frame is None or frame.empty or not {TIMESTAMP, VALUE} <= set(frame.columns):
            return cls(pd.Series(dtype=float, index=pd.DatetimeIndex([], tz="UTC")), profile_days)
        stamps = pd.to_datetime(frame[TIMESTAMP], utc=True, errors="coerce")
        values = pd.to_numeric(frame[VALUE], errors="coerce")
        keep = stamps.notna() & values.notna()
        return cls(pd.Series(values[keep].to_numpy(), index=stamps[keep]), profile_days)

    @property
    def empty(self) -> bool:
        return self.values.empty

    @cached_property
    def _local(self) -> pd.DataFrame:
        local = pd.DatetimeIndex(self.values.index).tz_convert(TIMEZONE)
        return pd.DataFrame(
            {
                "day": local.tz_localize(None).normalize(),
                "slot": local.hour * 4 + local.minute // 15,
                "value": self.values.to_numpy(),
            }
        )

    def first_last(self) -> tuple[pd.Timestamp, pd.Timestamp] | None:
        if self.empty:
            return None
        return self.values.index[0], self.values.index[-1]

    # -- the profile of the previous days ----------------------------------------------
    def profile(self, day: pd.Timestamp) -> tuple[pd.Series, tuple[str, str]] | None:
        """Mean intensity per Paris quarter-hour of the day (96 slots, 0 = 00:00) over the
        ``profile_days`` most recent days with values on or before ``day`` (a Paris calendar
        day), else the first days after it; and the first and last day used."""
        if self.empty:
            return None
        day = pd.Timestamp(day).normalize()
        if day in self._profiles:
            return self._profiles[day]
        frame = self._local
        days = np.sort(frame["day"].unique())
        before = days[days <= np.datetime64(day)]
        chosen = before[-self.profile_days :] if len(before) else days[: self.profile_days]
        part = frame[frame["day"].isin(chosen)]
        by_slot = part.groupby("slot")["value"].mean().reindex(range(96))
        by_slot = by_slot.interpolate(limit_direction="both")  # DST days lack a few slots
        used = (str(pd.Timestamp(chosen[0]).date()), str(pd.Timestamp(chosen[-1]).date()))
        self._profiles[day] = (by_slot, used)
        return by_slot, used

    def value_at(self, quarter: pd.Timestamp) -> tuple[float, bool, tuple[str, str] | None]:
        """(intensity, stored?, profile days) of the quarter-hour starting at ``quarter``."""
        if quarter in self.values.index:
            return float(self.values[quarter]), True, None
        local = quarter.tz_convert(TIMEZONE)
        found = self.profile(local.tz_localize(None).normalize())
        if found is None:
            return float("nan"), False, None
        by_slot, used = found
        return float(by_slot[local.hour * 4 + local.minute // 15]), False, used

    # -- a run ------------------------------------------------------------------------
    def over(self, start: pd.Timestamp, end: pd.Timestamp) -> tuple[float, Basis]:
        """Time-weighted intensity of ``[start, end)`` and how it was obtained."""
        start, end = _utc(start), _utc(end)
        if self.empty:
            return float("nan"), Basis(0.0)
        if end <= start:  # an instant: the quarter-hour it falls in
            end = start + pd.Timedelta(microseconds=1)
        weighted = seconds = measured = 0.0
        profile_used: set[str] = set()
        quarter = start.floor("15min")
        while quarter < end:
            overlap = (min(end, quarter + QUARTER) - max(start, quarter)).total_seconds()
            value, stored, used = self.value_at(quarter)
            weighted += value * overlap
            seconds += overlap
            if stored:
                measured += overlap
            elif used:
                profile_used.update(used)
            quarter += QUARTER
        days = (min(profile_used), max(profile_used)) if profile_used else None
        return weighted / seconds, Basis(measured / seconds, days)

    def hourly(self, day: pd.Timestamp) -> pd.Series:
        """Mean intensity of each Paris hour (0-23) of ``day``: stored values where the store
        has them, the profile elsewhere."""
        start = pd.Timestamp(day).normalize().tz_localize(TIMEZONE).tz_convert("UTC")
        quarters = pd.date_range(start, start + pd.Timedelta(days=1), freq="15min", tz="UTC")[:-1]
        local_hours = quarters.tz_convert(TIMEZONE).hour
        values = [self.value_at(q)[0] for q in quarters]
        return pd.Series(values, index=local_hours).groupby(level=0).mean()


def _utc(stamp: pd.Timestamp | str) -> pd.Timestamp:
    stamp = pd.Timestamp(stamp)
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


@dataclasses.dataclass(frozen=True)
class Window:
    """A start time chosen by :func:`lowest_window`."""

    start: pd.Timestamp  # UTC
    predicted_g_per_kwh: float  # predicted mean intensity of the window from ``start``
    now_g_per_kwh: float  # predicted mean intensity when starting at once
    basis: str  # how the prediction was made


def lowest_window(
    series: IntensitySeries,
    now: pd.Timestamp,
    *,
    horizon_hours: float,
    window_hours: float,
    step_minutes: int = 15,
    max_profile_age_days: float | None = None,
) -> Window:
    """The start (at once, or at a quarter-hour boundary) in ``[now, now + horizon_hours]``
    whose next ``window_hours`` have the lowest predicted intensity. The prediction of each quarter-hour ahead is the profile of the previous days
    (``profile_days`` days ending the day before ``now``; stored values are not used even when
    the store holds the future, so a backtest sees only the past). The earliest start wins a
    tie; with no data the answer is ``now``, and so it is when the newest day of the profile is
    more than ``max_profile_age_days`` days before today (a store no ingestion refreshes: its
    old days say little about the hours ahead)."""
    now = _utc(now)
    if series.empty:
        return Window(now, float("nan"), float("nan"), "no intensity data: start at once")
    today = now.tz_convert(TIMEZONE).tz_localize(None).normalize()
    found = series.profile(today - pd.Timedelta(days=1))
    assert found is not None
    by_slot, used = found
    age_days = (today - pd.Timestamp(used[1])).days
    if max_profile_age_days is not None and age_days > max_profile_age_days:
        return Window(
            now,
            float("nan"),
            float("nan"),
            f"newest stored intensity {used[1]}, {age_days} days old "
            f"(more than {max_profile_age_days:g}): start at once",
        )
    # at once, or at a quarter-hour (the series' step) up to the horizon
    step = pd.Timedelta(minutes=step_minutes)
    latest = now + pd.Timedelta(hours=horizon_hours)
    starts = [now]
    boundary = now.ceil(f"{step_minutes}min")
    while boundary <= latest:
        if boundary > now:
            starts.append(boundary)
        boundary += step

    def predicted(start: pd.Timestamp) -> float:
        end = start + pd.Timedelta(hours=window_hours)
        weighted = seconds = 0.0
        quarter = start.floor("15min")
        while quarter < end:
            overlap = (min(end, quarter + QUARTER) - max(start, quarter)).total_seconds()
            local = quarter.tz_convert(TIMEZONE)
            weighted += float(by_slot[local.hour * 4 + local.minute // 15]) * overlap
            seconds += overlap
            quarter += QUARTER
        return weighted / seconds if seconds else float("nan")

    scores = [predicted(s) for s in starts]
    best = int(np.nanargmin(scores))
    return Window(starts[best], scores[best], scores[0], f"profile of {used[0]}..{used[1]}")


def daily_best_hour(series: IntensitySeries, day: pd.Timestamp) -> tuple[int, float]:
    """The Paris hour of ``day`` with the lowest mean intensity, and that intensity."""
    hourly = series.hourly(day)
    hour = int(hourly.to_numpy().argmin())
    return int(hourly.index[hour]), float(hourly.iloc[hour])


def plan_start(
    series: IntensitySeries,
    now: pd.Timestamp,
    *,
    enabled: bool,
    max_delay_hours: float,
    window_hours: float,
    max_profile_age_days: float | None = None,
) -> dict[str, object]:
    """When deferrable work should start (the fusion + training DAG): at once when the
    carbon-aware start is off, else at :func:`lowest_window` within ``max_delay_hours`` (at
    once too when the stored intensity is older than ``max_profile_age_days``).
    A JSON-serialisable record of the decision (an Airflow XCom)."""
    now = _utc(now)
    if not enabled or max_delay_hours <= 0:
        return {
            "start_at": now.isoformat(),
            "delay_minutes": 0.0,
            "enabled": False,
            "predicted_g_per_kwh": None,
            "now_g_per_kwh": None,
            "basis": "carbon-aware start off: start at once",
        }
    window = lowest_window(
        series,
        now,
        horizon_hours=max_delay_hours,
        window_hours=window_hours,
        max_profile_age_days=max_profile_age_days,
    )

    def number(value: float) -> float | None:
        return None if np.isnan(value) else round(float(value), 2)

    return {
        "start_at": window.start.isoformat(),
        "delay_minutes": (window.start - now).total_seconds() / 60.0,
        "enabled": True,
        "predicted_g_per_kwh": number(window.predicted_g_per_kwh),
        "now_g_per_kwh": number(window.now_g_per_kwh),
        "basis": window.basis,
    }
