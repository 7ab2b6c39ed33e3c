"""How much the carbon-aware start of the fusion + training DAG saves, on real eco2mix data.

For every day with enough history, the DAG is triggered at ``--trigger`` (UTC, after the daily
ingestions) and may start within ``--horizon`` hours; its work lasts ``--window`` hours. Three
starts are compared on the intensity RTE actually published for that window:

- at once (no carbon-aware start);
- the start :func:`data_collection_kedro.carbon.intensity.lowest_window` chooses from the
  profile of the previous days (what the DAG does: it sees only the past);
- the best start in hindsight (an upper bound, not reachable).

Data (``../shared/data/real/F``, read its SOURCES.md): the eco2mix definitive 2014 file
(half-hourly ``Taux de Co2``, naive Paris time) and the real-time exports of Dec 2021 - Jan 2022
(15 minutes). The script needs them; the tests do not.

    .venv/bin/python scripts/evaluate_carbon_aware_start.py [--real-dir DIR]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from data_collection_kedro.carbon.intensity import IntensitySeries, lowest_window

REAL_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "real"
EXPORT_2014 = "F/eco2mix_national_2014_halfhourly_greenforecast/rte_production.csv"
REAL_TIME = "F/eco2mix_national_tr_samples/Zineb106/eco2mix-national-tr.csv"


def read_2014(path: Path) -> pd.DataFrame:
    """The 2014 definitive file: its header is shifted by one column (F/SOURCES.md)."""
    header = pd.read_csv(path, nrows=0).columns.tolist()
    frame = pd.read_csv(
        path, names=[*header[1:], "_trailing"], index_col=False, skiprows=1, low_memory=False
    )
    local = pd.to_datetime(frame["Date"] + " " + frame["Heures"], format="%Y-%m-%d %H:%M")
    stamps = local.dt.tz_localize("Europe/Paris", ambiguous="NaT", nonexistent="NaT")
    values = pd.to_numeric(frame["Taux de Co2"], errors="coerce")
    keep = stamps.notna() & values.notna()
    half_hours = pd.DataFrame(
        {
            "timestamp_utc": stamps[keep].dt.tz_convert("UTC"),
            "carbon_intensity_g_per_kwh": values[keep],
        }
    )
    # a half-hour's value holds for both its quarter-hours
    later = half_hours.assign(timestamp_utc=half_hours["timestamp_utc"] + pd.Timedelta(minutes=15))
    return pd.concat([half_hours, later], ignore_index=True)


def read_real_time(path: Path) -> pd.DataFrame:
    frame = pd.read_csv(path, sep=";")
    return pd.DataFrame(
        {
            "timestamp_utc": pd.to_datetime(frame["date_heure"], utc=True),
            "carbon_intensity_g_per_kwh": pd.to_numeric(frame["taux_co2"], errors="coerce"),
        }
    ).dropna()


def actual(series: IntensitySeries, start: pd.Timestamp, hours: float) -> float:
    """Mean stored intensity of ``[start, start + hours)`` (NaN when a quarter-hour is missing)."""
    value, basis = series.over(start, start + pd.Timedelta(hours=hours))
    return value if basis.measured_share >= 0.999 else float("nan")


def evaluate(series: IntensitySeries, trigger: str, horizon: float, window: float) -> pd.DataFrame:
    first, last = series.first_last()  # type: ignore[misc]
    days = pd.date_range(
        first.normalize() + pd.Timedelta(days=series.profile_days + 1),
        last.normalize() - pd.Timedelta(days=1),
        freq="D",
    )
    rows = []
    for day in days:
        now = pd.Timestamp(f"{day:%Y-%m-%d}T{trigger}", tz="UTC")
        chosen = lowest_window(series, now, horizon_hours=horizon, window_hours=window).start
        starts = [now + pd.Timedelta(minutes=15 * i) for i in range(int(horizon * 4) + 1)]
        outcomes = [actual(series, s, window) for s in starts]
        if any(pd.isna(o) for o in outcomes):
            continue
        rows.append(
            {
                "day": day.date(),
                "at_once": outcomes[0],
                "carbon_aware": outcomes[starts.index(chosen)],
                "hindsight": min(outcomes),
                "delay_h": (chosen - now).total_seconds() / 3600,
            }
        )
    return pd.DataFrame(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--real-dir", type=Path, default=REAL_DIR)
    parser.add_argument("--trigger", default="06:45", help="trigger time of day, UTC")
    parser.add_argument("--horizon", type=float, default=12.0, help="max_delay_hours")
    parser.add_argument("--window", type=float, default=1.0, help="window_hours")
    parser.add_argument("--profile-days", type=int, default=7)
    args = parser.parse_args(argv)
    datasets = {
        "eco2mix definitive 2014 (30 min)": (args.real_dir / EXPORT_2014, read_2014),
        "eco2mix real time Dec 2021 - Jan 2022 (15 min)": (
            args.real_dir / REAL_TIME,
            read_real_time,
        ),
    }
    print(
        f"trigger {args.trigger} UTC, start within {args.horizon:g} h, work of {args.window:g} h, "
        f"profile of {args.profile_days} days"
    )
    for name, (path, reader) in datasets.items():
        if not path.exists():
            print(f"{name}: {path} absent, skipped")
            continue
        series = IntensitySeries.from_frame(reader(path), args.profile_days)
        result = evaluate(series, args.trigger, args.horizon, args.window)
        if result.empty:
            print(f"{name}: not enough days")
            continue
        now, aware, best = (result[c].mean() for c in ("at_once", "carbon_aware", "hindsight"))
        captured = (now - aware) / (now - best) if now > best else float("nan")
        worse = (result["carbon_aware"] > result["at_once"]).mean()
        print(
            f"{name}: {len(result)} days; mean intensity of the work at once {now:.1f} g/kWh, "
            f"carbon-aware {aware:.1f} g/kWh ({(aware - now) / now:+.1%}), best in hindsight "
            f"{best:.1f} g/kWh ({(best - now) / now:+.1%}); the profile captures {captured:.0%} "
            f"of the reachable saving; worse than at once on {worse:.0%} of the days; mean "
            f"delay {result['delay_h'].mean():.1f} h"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
