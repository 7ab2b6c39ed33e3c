"""``holidays``: one frame holds public holidays (etalab) and school holidays (Éducation
nationale), told apart by their columns; the school calendar repeats each holiday per académie
and population."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import pandas as pd

from data_collection_kedro.sources.registry import Source
from data_collection_kedro.validation.core import select_columns
from data_collection_kedro.validation.tables import TableCheck, check_table, subset


def school_days(check: TableCheck) -> None:
    """``end_date`` becomes the last day off (the source gives the day classes resume; a
    one-day event — bridge day, "journée vaquée" — has end_date == start_date); ``Zone A`` →
    ``A``."""
    typed = check.typed
    start = typed["start_date"].astype("datetime64[s]")
    resume = typed["end_date"].astype("datetime64[s]")
    last_day_off = (resume - pd.Timedelta(days=1)).where(resume != start, start)
    typed["end_date"] = last_day_off.astype("date32[pyarrow]")
    typed["zone"] = check.raw["zone"].str.replace(r"^Zone\s+", "", regex=True).str.strip()


def parse(
    frame: pd.DataFrame, source: Source, params: Mapping[str, Any], now: datetime | None = None
) -> tuple[pd.DataFrame, ...]:
    """Public holidays, school holidays (zones A/B/C/Corse, one row per zone, description and
    first day) and the quarantine."""
    public_table, school_table = source.tables
    is_public = frame["nom_jour_ferie"].notna() if "nom_jour_ferie" in frame else _none(frame)
    is_school = frame["description"].notna() if "description" in frame else _none(frame)
    if not is_public.any() and not is_school.any():
        # neither layout: reports the missing columns of the public layout
        select_columns(frame, public_table, source.label)
        select_columns(frame, school_table, source.label)

    public, q_public = check_table(
        subset(frame, is_public, keep_malformed=True), public_table, source.label, params
    ).split(now)

    school = check_table(subset(frame, is_school), school_table, source.label, params)
    in_scope = school.typed["zone"].isin(list(params["school_zones"]))
    repeated = school.typed.duplicated(subset=["zone", "description", "start_date"], keep="first")
    school.keep((in_scope & ~repeated).to_numpy(dtype=bool))
    school_rows, q_school = school.split(now)
    return public, school_rows, pd.concat([q_public, q_school], ignore_index=True)


def _none(frame: pd.DataFrame) -> pd.Series:
    return pd.Series(False, index=frame.index)
