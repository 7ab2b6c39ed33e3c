"""``weather_forecast``: the Open-Meteo live client and the lead time of a stored forecast.

:class:`OpenMeteoForecastDataset` queries Open-Meteo at the representative points of each
region (the declaration's ``POINTS``: city, latitude, longitude, weight), several points per
request (comma-separated ``latitude``/``longitude``; a JSON list comes back, one structure per
point, in order), and weights the points' daily temperatures into regional values:

- the **forecast** (``/v1/meteofrance``, ``daily=temperature_2m_min,temperature_2m_max,
  temperature_2m_mean``, ``timezone=Europe/Paris``, ``forecast_days``): its first day is today in
  Paris, the issue day of every row (lead = target day − issue day);
- the **previous runs** (``previous-runs-api.open-meteo.com/v1/forecast``, ``hourly=
  temperature_2m_previous_day1..N``, ``models``, ``start_date``/``end_date``): the value the model
  forecast N days before each hour. A day's Tmin/Tmax/Tmean are the min/max/mean of its local
  hours, kept only when every hour of the day has a value (23/24/25 on DST days); issue day =
  target day − N. Used to backfill missed days and the archive (from ``archive_start``).

A point contributes to a (target day, issue day) when it has a value; the regional value is the
mean of the contributing points weighted by their weights, ``nombre_points`` their number. A region
none of whose points has a value while other regions have one is returned with empty
temperatures and ``nombre_points`` 0 (the ETL quarantines it with that reason) and logged; a
(target day, issue day) no region has (a lead beyond the model's range, a day before the archive)
is simply absent.

A missing field (``daily``, ``daily.time``, a requested variable), a unit other than °C, a
response that is not one structure per point, or arrays of different lengths raise
:class:`~data_collection_kedro.sources.http.SchemaDriftError` /
:class:`~data_collection_kedro.sources.http.SourceFormatError` naming the field and the request.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from kedro.io import AbstractDataset, DatasetError

from data_collection_kedro.datasets.live_sources import (
    Timeout,
    retry_and_timeout,
    since_watermark,
    source_frame,
)
from data_collection_kedro.sources.http import (
    HttpClient,
    SchemaDriftError,
    SourceFormatError,
    redact_url,
)
from data_collection_kedro.validation.tables import TableCheck

logger = logging.getLogger(__name__)

PROVIDER = "Open-Meteo"
TIMEZONE = "Europe/Paris"
DAILY = ("temperature_2m_min", "temperature_2m_max", "temperature_2m_mean")
COLUMNS = [
    "code_insee_region",
    "date_emission",
    "date_cible",
    *DAILY,
    "nombre_points",
    "fournisseur",
    "modele",
]
UNIT = "°C"


def lead_days(check: TableCheck) -> None:
    """``lead_days`` = target day − issue day, in days (negative leads fail ``NotBefore``)."""
    typed = check.typed
    target = pd.to_datetime(typed["target_day"].astype("string"), errors="coerce")
    issue = pd.to_datetime(typed["issue_day"].astype("string"), errors="coerce")
    typed.insert(3, "lead_days", (target - issue).dt.days.astype("Int64"))


def _day(value: str | date | None) -> date | None:
    if value is None or value == "":
        return None
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _batches(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), max(1, size)):
        yield items[start : start + max(1, size)]


class OpenMeteoForecastDataset(AbstractDataset[None, pd.DataFrame]):
    """Regional daily temperature forecasts from Open-Meteo (read-only), as the source frame of
    ``previsions-meteo-regionales.csv`` (see the module docstring).

    Args:
        forecast_url: the forecast endpoint (``…/v1/meteofrance``).
        previous_runs_url: the previous-runs endpoint (``…/v1/forecast``); empty: no backfill.
        points: region code → ``[city, latitude, longitude, weight]`` rows.
        model: the model label stored with each row; sent as ``models`` to the previous runs.
        forecast_days: days of the current forecast (today included).
        backfill_leads: leads 1..N of the previous runs.
        backfill_start: first target day of a full backfill (without stored forecasts).
        archive_start: first day the previous runs are archived (earlier days are not asked).
        points_per_request, days_per_request: batch sizes.
        watermark: the raw store's newest issue day (incremental backfill from it minus
            ``lookback_days``), see :func:`~data_collection_kedro.datasets.live_sources.
            read_watermark`.
    """

    def __init__(
        self,
        forecast_url: str,
        points: Mapping[str, Sequence[Sequence[Any]]],
        previous_runs_url: str = "",
        model: str = "meteofrance_seamless",
        forecast_days: int = 4,
        backfill_leads: int = 7,
        backfill_start: str | None = None,
        archive_start: str = "2024-01-01",
        points_per_request: int = 10,
        days_per_request: int = 31,
        watermark: dict[str, Any] | None = None,
        lookback_days: int = 2,
        timeout_s: Timeout = (10.0, 120.0),
        retry: dict[str, Any] | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        self.forecast_url = forecast_url
        self.previous_runs_url = previous_runs_url
        self.points = pd.DataFrame(
            [
                {
                    "region_code": str(code),
                    "city": str(city),
                    "latitude": float(lat),
                    "longitude": float(lon),
                    "weight": float(weight),
                }
                for code, rows in points.items()
                for city, lat, lon, weight in rows
            ]
        )
        if self.points.empty or (self.points["weight"] <= 0).any():
            raise DatasetError("points: expected [city, latitude, longitude, weight > 0] rows")
        self.model = model
        self.forecast_days = int(forecast_days)
        self.backfill_leads = int(backfill_leads)
        self.backfill_start = _day(backfill_start)
        self.archive_start = _day(archive_start) or date(2024, 1, 1)
        self.points_per_request = int(points_per_request)
        self.days_per_request = int(days_per_request)
        self.watermark = watermark
        self.lookback_days = int(lookback_days)
        self.timeout_s = timeout_s
        self.retry = retry
        self.metadata = metadata

    # -- Kedro ------------------------------------------------------------------------------
    def load(self) -> pd.DataFrame:
        http = retry_and_timeout(self.timeout_s, self.retry)
        forecast = self._forecast(http)
        today = (
            forecast["issue_day"].min()
            if not forecast.empty
            else datetime.now(ZoneInfo(TIMEZONE)).date()
        )
        frames = [forecast]
        first = self._backfill_start()
        if self.previous_runs_url and self.backfill_leads > 0 and first is not None:
            last = today + timedelta(days=max(self.forecast_days - 1, 0))
            past = self._previous_runs(http, first, last)
            frames.append(past[past["issue_day"] < today])
        samples = pd.concat([f for f in frames if not f.empty] or frames, ignore_index=True)
        rows = self._regional(samples)
        shown = redact_url(self.forecast_url, {"daily": ",".join(DAILY), "timezone": TIMEZONE})
        return source_frame(rows, COLUMNS, shown)

    def save(self, data: None) -> None:
        raise DatasetError(f"{type(self).__name__} is read-only (a live source)")

    def _describe(self) -> dict[str, Any]:
        return {
            "forecast_url": redact_url(self.forecast_url),
            "previous_runs_url": redact_url(self.previous_runs_url),
            "regions": int(self.points["region_code"].nunique()),
            "points": len(self.points),
            "model": self.model,
        }

    # -- requests ---------------------------------------------------------------------------
    def _locations(
        self, http: HttpClient, url: str, batch: pd.DataFrame, params: dict[str, Any], what: str
    ) -> tuple[list[dict[str, Any]], str]:
        """One structure per point of ``batch`` (a single point answers one object), and the
        request's URL as shown in errors."""
        query = {
            "latitude": ",".join(f"{v:.4f}" for v in batch["latitude"]),
            "longitude": ",".join(f"{v:.4f}" for v in batch["longitude"]),
            **params,
        }
        shown = redact_url(url, query)
        response = http.get(url, params=query, context=f"Open-Meteo {what}")
        try:
            body = response.json()
        except ValueError as exc:
            raise SourceFormatError(
                f"Open-Meteo {what} at {shown}: invalid JSON ({len(response.content)} bytes, "
                f"body cut or not JSON): {exc}"
            ) from exc
        locations = [body] if isinstance(body, dict) and len(batch) == 1 else body
        if not isinstance(locations, list) or len(locations) != len(batch):
            got = f"a list of {len(locations)}" if isinstance(locations, list) else "an object"
            raise SourceFormatError(
                f"Open-Meteo {what} at {shown}: expected one structure per point "
                f"({len(batch)}), got {got}"
            )
        for location in locations:
            if not isinstance(location, dict):
                raise SourceFormatError(
                    f"Open-Meteo {what} at {shown}: a point's structure is not a JSON object"
                )
        return locations, shown

    def _forecast(self, http: HttpClient) -> pd.DataFrame:
        """Daily point values of the current forecast (``issue_day`` = its first day)."""
        params = {
            "daily": ",".join(DAILY),
            "timezone": TIMEZONE,
            "forecast_days": self.forecast_days,
        }
        frames = []
        for batch in _batches(self.points.index.tolist(), self.points_per_request):
            points = self.points.loc[list(batch)]
            locations, shown = self._locations(http, self.forecast_url, points, params, "forecast")
            for point, location in zip(points.index, locations, strict=True):
                block = _block(location, "daily", DAILY, shown)
                days = pd.to_datetime(pd.Series(block["time"]), errors="coerce")
                if days.isna().any():
                    raise SourceFormatError(f"Open-Meteo forecast at {shown}: bad daily.time")
                values = {
                    name: pd.to_numeric(pd.Series(block[name]), errors="coerce") for name in DAILY
                }
                frames.append(
                    pd.DataFrame(
                        {
                            "point": int(point),
                            "target_day": days.dt.date,
                            "issue_day": days.dt.date.iloc[0] if len(days) else None,
                            **values,
                        }
                    )
                )
        return _samples(frames)

    def _backfill_start(self) -> date | None:
        since = since_watermark(self.watermark, self.lookback_days) if self.watermark else None
        first = since or self.backfill_start
        if first is None:
            return None
        return max(first, self.archive_start)

    def _previous_runs(self, http: HttpClient, first: date, last: date) -> pd.DataFrame:
        """Daily point values of the previous runs for target days ``first..last``."""
        variables = [f"temperature_2m_previous_day{n}" for n in range(1, self.backfill_leads + 1)]
        frames = []
        start = first
        while start <= last:
            end = min(last, start + timedelta(days=self.days_per_request - 1))
            params = {
                "hourly": ",".join(variables),
                "models": self.model,
                "timezone": TIMEZONE,
                "start_date": start.isoformat(),
                "end_date": end.isoformat(),
            }
            for batch in _batches(self.points.index.tolist(), self.points_per_request):
                points = self.points.loc[list(batch)]
                locations, shown = self._locations(
                    http, self.previous_runs_url, points, params, "previous runs"
                )
                for point, location in zip(points.index, locations, strict=True):
                    block = _block(location, "hourly", variables, shown)
                    frames.append(_daily_from_hours(int(point), block, variables))
            start = end + timedelta(days=1)
        return _samples(frames)

    # -- aggregation ------------------------------------------------------------------------
    def _regional(self, samples: pd.DataFrame) -> list[dict[str, Any]]:
        """Weighted regional values per (region, target day, issue day); see the module
        docstring for regions without any value."""
        if samples.empty:
            logger.warning("Open-Meteo: no forecast value at any point")
            return []
        frame = samples.join(self.points[["region_code", "weight"]], on="point")
        frame = frame.dropna(subset=list(DAILY))
        key = ["region_code", "target_day", "issue_day"]
        weights = frame["weight"]
        weighted = frame[list(DAILY)].mul(weights, axis=0).assign(weight=weights)
        weighted[key] = frame[key]
        totals = weighted.groupby(key).sum()
        regional = totals[list(DAILY)].div(totals["weight"], axis=0).round(2)
        regional["points"] = frame.groupby(key).size()
        regional = regional.reset_index()
        # every region for every (target, issue) some region has: the others are missing
        pairs = regional[["target_day", "issue_day"]].drop_duplicates()
        regions = pd.DataFrame({"region_code": sorted(self.points["region_code"].unique())})
        full = regions.merge(pairs, how="cross").merge(regional, on=key, how="left")
        full["points"] = full["points"].fillna(0).astype("int64")
        missing = full[full["points"] == 0]
        for code, group in missing.groupby("region_code"):
            cities = ", ".join(self.points.loc[self.points["region_code"] == code, "city"])
            logger.warning(
                "Open-Meteo: region %s: none of its points (%s) has a forecast for %d "
                "(target day, issue day) pair(s) that other regions have, first %s issued %s",
                code,
                cities,
                len(group),
                group["target_day"].min(),
                group["issue_day"].min(),
            )
        full = full.sort_values(["issue_day", "target_day", "region_code"], ignore_index=True)
        rows = pd.DataFrame(
            {
                "code_insee_region": full["region_code"],
                "date_emission": full["issue_day"].map(date.isoformat),
                "date_cible": full["target_day"].map(date.isoformat),
                **{name: full[name] for name in DAILY},
                "nombre_points": full["points"],
                "fournisseur": PROVIDER,
                "modele": self.model,
            }
        )
        return [{str(k): v for k, v in row.items()} for row in rows.to_dict("records")]


def _samples(frames: list[pd.DataFrame]) -> pd.DataFrame:
    columns = ["point", "target_day", "issue_day", *DAILY]
    if not frames:
        return pd.DataFrame(columns=columns)
    return pd.concat(frames, ignore_index=True)[columns]


def _block(
    location: Mapping[str, Any], name: str, variables: Sequence[str], shown: str
) -> Mapping[str, list[Any]]:
    """``location[name]`` with ``time`` and ``variables`` of equal lengths, in °C."""
    block = location.get(name)
    if not isinstance(block, dict):
        raise SchemaDriftError(
            f"Open-Meteo at {shown}: field {name!r} missing; the response has {sorted(location)}"
        )
    missing = [f"{name}.{v}" for v in ("time", *variables) if v not in block]
    if missing:
        raise SchemaDriftError(
            f"Open-Meteo at {shown}: field(s) {missing} missing; expected {name}.time and "
            f"{list(variables)}, the response has {sorted(block)}"
        )
    units = location.get(f"{name}_units") or {}
    wrong = {v: units[v] for v in variables if v in units and units[v] != UNIT}
    if wrong:
        raise SchemaDriftError(f"Open-Meteo at {shown}: expected {UNIT}, got units {wrong}")
    lengths = {v: len(block[v]) for v in ("time", *variables) if isinstance(block[v], list)}
    if len(lengths) != len(variables) + 1 or len(set(lengths.values())) != 1:
        raise SourceFormatError(
            f"Open-Meteo at {shown}: {name} arrays are not lists of one length: {lengths}"
        )
    return block


def _daily_from_hours(
    point: int, block: Mapping[str, list[Any]], variables: Sequence[str]
) -> pd.DataFrame:
    """A point's hourly ``temperature_2m_previous_dayN`` → daily min/max/mean per (target day,
    lead N); a day is kept when every one of its hours has a value."""
    times = pd.Series(block["time"], dtype="string")
    day = pd.to_datetime(times.str.slice(0, 10), errors="coerce", format="%Y-%m-%d")
    if day.isna().any():
        raise SourceFormatError("Open-Meteo previous runs: bad hourly.time values")
    frames = []
    for lead, variable in enumerate(variables, start=1):
        values = pd.to_numeric(pd.Series(block[variable]), errors="coerce")
        grouped = values.groupby(day.to_numpy())
        daily = grouped.agg(["min", "max", "mean", "count", "size"])
        daily = daily[(daily["count"] == daily["size"]) & (daily["count"] >= 23)]
        if daily.empty:
            continue
        target = pd.DatetimeIndex(daily.index)
        frames.append(
            pd.DataFrame(
                {
                    "point": point,
                    "target_day": target.date,
                    "issue_day": (target - pd.Timedelta(days=lead)).date,
                    "temperature_2m_min": daily["min"].to_numpy(),
                    "temperature_2m_max": daily["max"].to_numpy(),
                    "temperature_2m_mean": np.round(daily["mean"].to_numpy(), 2),
                }
            )
        )
    return _samples(frames)
