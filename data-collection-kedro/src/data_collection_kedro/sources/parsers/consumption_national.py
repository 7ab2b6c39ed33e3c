"""``consumption_national``: ``Date``/``Heure`` must be the Paris local time of ``Date - Heure``.

The national export gives every Paris day 48 rows: on a spring-forward day the local times
02:00 and 02:30, which do not exist, are filler rows whose ``Date - Heure`` repeats the instant
of 03:00 and 03:30 (a duplicate key with other values). Such rows, and any row whose local
date or time disagrees with its instant, are quarantined with that reason instead of competing
with the real row for the key.
"""

from __future__ import annotations

import pandas as pd

from data_collection_kedro.validation.tables import TableCheck

PARIS = "Europe/Paris"


def derive(check: TableCheck) -> None:
    typed, raw = check.typed, check.raw
    instant = pd.to_datetime(typed["timestamp_utc"], utc=True, errors="coerce").dt.tz_convert(PARIS)
    local_time = instant.dt.strftime("%H:%M")
    local_day = instant.dt.strftime("%Y-%m-%d")
    day = pd.Series(typed["date"].astype("string"), index=typed.index)
    time = raw["time"].astype("string").str.strip().str.slice(0, 5)
    wrong_time = instant.notna() & time.notna() & (time != local_time)
    wrong_day = instant.notna() & day.notna() & (day != local_day)
    check.fail(
        "time",
        "Date/Heure is not the Paris local time of Date - Heure (a time the spring-forward "
        "night does not have, or a shifted row)",
        (wrong_time | wrong_day).fillna(False).to_numpy(dtype=bool),
    )
