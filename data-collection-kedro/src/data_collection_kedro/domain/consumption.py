"""Daily regional consumption from the raw half-hourly/hourly tables.

Electricity: ``raw_consumption_regional`` half-hourly MW -> MWh = sum(MW) x 0.5 h per
Europe/Paris day (46/48/50 half-hours on DST days).

Gas: ``raw_gas_load_curve`` (courbe de charge, hourly MWh PCS 0°C per operator and sector)
-> regional daily MWh = sum over sectors and operators (GRTgaz + Teréga), plus the hourly profile.

Real-data defects are handled explicitly, never hidden (see ``docs/data-contracts.md`` §3):

- *partial day* (hours missing other than the hour that does not exist on the spring-forward
  day; zero-only rows): the day's value is NaN (``partial_day_policy: nan``, default) or the
  partial sum (``sum``); ``is_complete`` = false either way;
- *missing operator* (a two-operator region where one operator has no row that day): the
  missing operator's consumption is imputed from its median share of the regional total over
  the ``operator_share_window_days`` nearest complete days (preceding days first, following
  days when there are none before), ``gas_imputed`` = true, ``is_complete`` = false;
  with ``impute_missing_operator: false`` the day's value is NaN instead;
- *missing day* (no row at all for a region inside its date range): a row with NaN values and
  ``is_complete`` = false;
- *duplicated rows* (same key after region/operator normalization): the last ingested wins.

The hourly profile ``gas_hNN_share`` (hour's share of the day) is NaN on partial days; on
imputed days it is the profile of the operators present.

Every occurrence is listed in ``fusion_data_quality``.

National: ``raw_consumption_national`` (half-hourly electricity, hourly gas) -> daily national MWh
per energy, each with its own completeness and status, and the national temperature
(:func:`national_consumption_index`, ``consommation_nationale``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from data_collection_kedro.domain.contracts import (
    CONSOMMATION_NATIONALE,
    GAS_HOUR_SHARE_COLUMNS,
    METEO_CONSOMMATION,
)
from data_collection_kedro.domain.regions import GAS_OPERATORS_BY_REGION, REGION_BY_CODE
from data_collection_kedro.domain.weather import continuous_temperatures, national_weather

from .normalization import (
    as_date,
    calendar_day,
    expected_slots_per_day,
    flagged_rows_row,
    is_spring_forward_day,
    key_strings,
    least_final_status_by,
    map_operator,
    map_status,
    normalize_regions,
    quality_row,
    unknown_region_row,
    utc_to_local_day,
)

INDEX = METEO_CONSOMMATION.name
HOUR_COLUMNS = [f"h{hour:02d}_mwh" for hour in range(24)]
SHARE_COLUMNS = list(GAS_HOUR_SHARE_COLUMNS)
ELECTRICITY_COLUMNS = [
    "region_code",
    "day",
    "electricity_consumption_mwh",
    "electricity_half_hours",
    "electricity_is_complete",
]
GAS_COLUMNS = [
    "region_code",
    "day",
    "gas_consumption_mwh",
    "gas_operator_count",
    "gas_status",
    "gas_imputed",
    "gas_is_complete",
    *SHARE_COLUMNS,
]


PARTIAL_DAY_POLICIES = ("nan", "sum")


def partial_day_policy(params: dict[str, Any]) -> str:
    """The ``partial_day_policy`` parameter, checked: ``nan`` (default) or ``sum``."""
    policy = str(params.get("partial_day_policy", "nan"))
    if policy not in PARTIAL_DAY_POLICIES:
        raise ValueError(
            f"parameters data_fusion.partial_day_policy: expected one of {PARTIAL_DAY_POLICIES}, "
            f"got {policy!r}"
        )
    return policy


def _keep_last_ingested(frame: pd.DataFrame, key: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Drop rows duplicated on ``key`` (keeping the last ingested); return (kept, dropped)."""
    if "_ingested_at" in frame.columns:
        frame = frame.sort_values("_ingested_at", kind="stable")
    duplicated = frame.duplicated(key, keep="last")
    return frame[~duplicated], frame[duplicated]


def daily_energy(
    frame: pd.DataFrame, keys: list[str], mw: str, slot_minutes: int, policy: str
) -> pd.DataFrame:
    """Daily energy of power values per ``keys`` and local ``day`` (columns of ``frame``).

    ``mwh`` = Σ MW × the slot's hours, ``slots`` = values present, ``is_complete`` = at least
    the slots the Europe/Paris day has (46/48/50 half-hours, 23/24/25 hours). Days without any
    value are dropped; with ``policy`` ``nan`` an incomplete day's ``mwh`` is NaN.
    """
    daily = (
        frame.groupby([*keys, "day"], observed=True)
        .agg(mw_sum=(mw, "sum"), slots=(mw, "count"))
        .reset_index()
    )
    daily = daily[daily["slots"] > 0]
    expected = expected_slots_per_day(daily["day"], slot_minutes)
    daily["is_complete"] = daily["slots"].astype("Int64") >= expected
    daily["mwh"] = daily["mw_sum"] * (slot_minutes / 60)
    if policy == "nan":
        daily.loc[~daily["is_complete"], "mwh"] = np.nan
    return daily.drop(columns="mw_sum")


def aggregate_electricity_daily(
    raw: pd.DataFrame, params: dict[str, Any]
) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    """Half-hourly electricity MW -> daily MWh per region and Europe/Paris day."""
    max_keys = int(params.get("max_detail_keys", 200))
    quality: list[dict[str, Any]] = []
    if raw.empty or "electricity_rte_mw" not in raw.columns:
        return pd.DataFrame(columns=ELECTRICITY_COLUMNS), quality

    frame = raw[["region_code", "region", "timestamp_utc", "electricity_rte_mw"]]
    if "_ingested_at" in raw.columns:
        frame = frame.assign(_ingested_at=raw["_ingested_at"])
    frame, unknown = normalize_regions(frame, "region", "region_code")
    quality.append(
        unknown_region_row(INDEX, "electricity_unknown_region", len(raw), unknown, max_keys)
    )
    frame = frame.assign(timestamp=pd.to_datetime(frame["timestamp_utc"], utc=True))
    frame, dropped = _keep_last_ingested(frame, ["region_code", "timestamp"])
    quality.append(
        quality_row(
            INDEX,
            "electricity_duplicated_half_hours",
            len(frame) + len(dropped),
            len(frame),
            key_strings(
                dropped.assign(t=dropped["timestamp"].astype("string")), ["region_code", "t"]
            ),
            max_keys,
            rule="same region and UTC instant: the last ingested row is kept",
        )
    )
    frame = frame.assign(
        day=utc_to_local_day(frame["timestamp"]),
        mw=pd.to_numeric(frame["electricity_rte_mw"], errors="coerce"),
    )
    daily = daily_energy(frame, ["region_code"], "mw", 30, partial_day_policy(params)).rename(
        columns={
            "slots": "electricity_half_hours",
            "is_complete": "electricity_is_complete",
            "mwh": "electricity_consumption_mwh",
        }
    )
    partial = daily[~daily["electricity_is_complete"]]
    quality.append(
        quality_row(
            INDEX,
            "electricity_partial_day",
            len(daily),
            len(daily),
            key_strings(partial, ["region_code", "day"]),
            max_keys,
            policy=partial_day_policy(params),
            rule="fewer half-hours than the local day has (46/48/50)",
        )
    )
    return daily[ELECTRICITY_COLUMNS].reset_index(drop=True), quality


def _gas_rows(raw: pd.DataFrame, params: dict[str, Any]) -> tuple[pd.DataFrame, list[dict]]:
    """Normalized load-curve rows: canonical region/operator/status, value and completeness."""
    max_keys = int(params.get("max_detail_keys", 200))
    quality: list[dict[str, Any]] = []
    frame, unknown = normalize_regions(raw, "region")
    quality.append(unknown_region_row(INDEX, "gas_unknown_region", len(raw), unknown, max_keys))
    sectors = params.get("gas_sectors")
    if sectors:
        frame = frame[frame["sector"].isin(list(sectors))]
    frame = frame.assign(
        date=calendar_day(frame["date"]),
        operator=map_operator(frame["operator"]),
        status=map_status(frame["status"])
        if "status" in frame.columns
        else pd.Series(pd.NA, index=frame.index, dtype="string"),
    )
    bad_dates = frame["date"].isna()
    if bad_dates.any():
        quality.append(
            flagged_rows_row(
                INDEX,
                "gas_unparseable_date",
                frame,
                bad_dates,
                ["region_code", "operator"],
                max_keys,
            )
        )
        frame = frame[~bad_dates]
    frame, dropped = _keep_last_ingested(frame, ["date", "operator", "sector", "region_code"])
    quality.append(
        quality_row(
            INDEX,
            "gas_duplicated_rows",
            len(frame) + len(dropped),
            len(frame),
            key_strings(dropped, ["region_code", "date", "operator", "sector"]),
            max_keys,
            rule="same day, operator, sector and region after normalization: last ingested kept",
        )
    )
    hours = frame[HOUR_COLUMNS].apply(pd.to_numeric, errors="coerce").astype("float64")
    daily_source = pd.to_numeric(frame["daily_mwh"], errors="coerce").astype("float64")
    present = hours.notna().sum(axis=1)
    hour_sum = hours.sum(axis=1, min_count=1)
    # The gas day containing the spring-forward night has one hour that does not exist:
    # sources leave it empty or write 0 (on that day or the day before, gas days start 06:00).
    dst = is_spring_forward_day(frame["date"]) | is_spring_forward_day(
        frame["date"] + pd.Timedelta(days=1)
    )
    expected_hours = np.where(dst, 23, 24)
    has_hours = present > 0
    complete = np.where(has_hours, present >= expected_hours, daily_source.notna())
    value = np.where(has_hours & (present >= expected_hours), hour_sum, daily_source)
    value = np.where(has_hours & ~complete, hour_sum, value)
    zero = ~(pd.Series(value, index=frame.index).fillna(0) > 0)
    complete = complete & ~zero.to_numpy()
    rows = frame[["region_code", "date", "operator", "sector", "status"]].assign(
        value_mwh=value, complete=complete, hours_present=present
    )
    rows = pd.concat([rows, hours], axis=1)
    partial = rows[~rows["complete"]]
    quality.append(
        quality_row(
            INDEX,
            "gas_partial_or_zero_rows",
            len(rows),
            len(rows),
            key_strings(
                partial.assign(h=partial["hours_present"].astype("string") + "h"),
                ["region_code", "date", "operator", "h"],
            ),
            max_keys,
            policy=partial_day_policy(params),
            rule="hours missing (23 allowed around the spring-forward night) or zero/empty day",
        )
    )
    return rows, quality


def _operator_shares(
    per_operator: pd.DataFrame, complete_days: pd.DataFrame, window: int
) -> pd.DataFrame:
    """Each operator's median share of the regional total over the nearest complete days.

    Returns one row per (region_code, operator, date) of ``complete_days`` with ``share_before``
    (median over the ``window`` complete days up to that day) and ``share_after`` (from that day
    on), so a missing day takes the preceding estimate, or the following one at the start.
    """
    ref = per_operator.merge(complete_days, on=["region_code", "date"])
    ref = ref.assign(share=ref["value_mwh"] / ref["total"]).sort_values(
        ["region_code", "operator", "date"]
    )
    grouped = ref.groupby(["region_code", "operator"], observed=True)["share"]
    ref["share_before"] = grouped.transform(lambda s: s.rolling(window, min_periods=1).median())
    ref["share_after"] = grouped.transform(
        lambda s: s[::-1].rolling(window, min_periods=1).median()[::-1]
    )
    return ref[["region_code", "operator", "date", "share_before", "share_after"]]


def _impute_missing_operators(
    days: pd.DataFrame, per_operator: pd.DataFrame, missing: pd.DataFrame, window: int
) -> pd.Series:
    """Imputed regional total for days with missing operators (NaN when no share is known)."""
    complete_days = days.loc[days["complete"] & ~days["has_missing"], ["region_code", "date"]]
    complete_days = complete_days.merge(
        per_operator.groupby(["region_code", "date"])["value_mwh"]
        .sum()
        .rename("total")
        .reset_index(),
        on=["region_code", "date"],
    )
    shares = _operator_shares(per_operator, complete_days, window)
    estimates = []
    for (region_code, operator), group in missing.groupby(["region_code", "operator"]):
        ref = shares[(shares["region_code"] == region_code) & (shares["operator"] == operator)]
        target = group[["region_code", "operator", "date"]].sort_values("date")
        if ref.empty:
            target = target.assign(share=np.nan)
        else:
            ref = ref.sort_values("date")
            before = pd.merge_asof(
                target, ref[["date", "share_before"]], on="date", direction="backward"
            )
            after = pd.merge_asof(
                target, ref[["date", "share_after"]], on="date", direction="forward"
            )
            target = target.assign(
                share=before["share_before"].fillna(after["share_after"]).to_numpy()
            )
        estimates.append(target)
    if not estimates:
        return pd.Series(dtype="float64")
    share = pd.concat(estimates).groupby(["region_code", "date"])["share"].sum(min_count=1)
    indexed = days.set_index(["region_code", "date"])
    present_total = indexed.loc[share.index, "value_mwh"]
    imputed = present_total / (1.0 - share)
    return imputed.where(share < 1.0)


def _sum_with_completeness(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Per ``keys`` group: ``value_mwh`` sum (NaN when no value) and ``complete`` (all)."""
    grouped = frame.groupby(keys, observed=True)
    out = grouped.agg(
        value_mwh=("value_mwh", "sum"),
        values=("value_mwh", "count"),
        complete=("complete", "all"),
    ).reset_index()
    out["value_mwh"] = out["value_mwh"].where(out["values"] > 0)
    return out.drop(columns="values")


# the load curve's columns gas_operators_by_region reads (its distinct values are enough)
OPERATOR_COLUMNS = ("region", "operator", "sector")


def gas_operators_by_region(raw: pd.DataFrame, params: dict[str, Any]) -> dict[str, set[str]]:
    """Every operator the load curve shows for each region (canonical code and name, the
    ``gas_sectors`` kept): the operators a region's day is expected to have. ``raw`` may hold
    the distinct values of :data:`OPERATOR_COLUMNS` only."""
    columns = [c for c in OPERATOR_COLUMNS if c in raw.columns]
    if raw.empty or not {"region", "operator"} <= set(columns):
        return {}
    pairs, _ = normalize_regions(raw[columns].drop_duplicates(), "region")
    sectors = params.get("gas_sectors")
    if sectors and "sector" in pairs.columns:
        pairs = pairs[pairs["sector"].isin(list(sectors))]
    pairs = pairs.assign(operator=map_operator(pairs["operator"])).dropna(subset=["operator"])
    return {str(code): set(group) for code, group in pairs.groupby("region_code")["operator"]}


def aggregate_gas_daily(
    raw: pd.DataFrame,
    params: dict[str, Any],
    expected_operators: dict[str, set[str]] | None = None,
) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    """Courbe de charge -> daily regional gas MWh, operator count, status, hourly profile.

    ``expected_operators`` (region code -> operators): the operators a region's day is
    expected to have; by default every operator ``raw`` shows for the region (an incremental
    run passes those of the whole table, :func:`gas_operators_by_region`, as it reads a
    window of days)."""
    max_keys = int(params.get("max_detail_keys", 200))
    if raw.empty:
        return pd.DataFrame(columns=GAS_COLUMNS), []
    rows, quality = _gas_rows(raw, params)

    operator_key = ["region_code", "date", "operator"]
    per_operator = _sum_with_completeness(rows, operator_key).merge(
        least_final_status_by(rows, operator_key, "status"), on=operator_key
    )
    profile = rows.groupby(["region_code", "date"], observed=True)[HOUR_COLUMNS].sum(min_count=1)

    # Expected operators of a region: every operator the data shows for it over the whole run
    # (differences from the reference table are reported, e.g. a sample with fewer operators).
    expected: dict[str, set[str]] = {
        str(code): set(group) for code, group in per_operator.groupby("region_code")["operator"]
    }
    if expected_operators is not None:
        expected = {
            code: set(expected_operators.get(code, ())) | ops for code, ops in expected.items()
        }
    differs = sorted(
        f"{code}:{'+'.join(sorted(ops))}"
        for code, ops in expected.items()
        if ops != set(GAS_OPERATORS_BY_REGION.get(code, ()))
    )
    quality.append(
        quality_row(
            INDEX,
            "gas_operators_differ_from_reference",
            len(expected),
            len(expected),
            differs,
            max_keys,
            rule="operators seen for a region differ from regions.GAS_OPERATORS_BY_REGION",
        )
    )
    day_key = ["region_code", "date"]
    days = (
        _sum_with_completeness(per_operator, day_key)
        .merge(
            least_final_status_by(per_operator, day_key, "status").rename(
                columns={"status": "gas_status"}
            ),
            on=day_key,
        )
        .merge(
            per_operator.groupby(day_key, observed=True)["operator"]
            .nunique()
            .rename("gas_operator_count")
            .reset_index(),
            on=day_key,
        )
    )
    present_operators: dict[tuple[str, pd.Timestamp], set[str]] = {}
    for code, date, operator in per_operator[["region_code", "date", "operator"]].itertuples(
        index=False
    ):
        present_operators.setdefault((code, date), set()).add(operator)
    missing_records = [
        (code, date, operator)
        for (code, date), present in present_operators.items()
        for operator in sorted(expected[code] - present)
    ]
    missing = pd.DataFrame(missing_records, columns=["region_code", "date", "operator"])
    days["has_missing"] = days.set_index(["region_code", "date"]).index.isin(
        pd.MultiIndex.from_frame(missing[["region_code", "date"]])
    )

    policy = partial_day_policy(params)
    total = days["value_mwh"].where(days["complete"] | (policy != "nan"))
    imputed_flag = pd.Series(False, index=days.index)
    if not missing.empty:
        if params.get("impute_missing_operator", True):
            window = int(params.get("operator_share_window_days", 28))
            imputed = _impute_missing_operators(days, per_operator, missing, window)
            key = pd.MultiIndex.from_frame(days[["region_code", "date"]])
            imputed_values = pd.Series(imputed.reindex(key).to_numpy(), index=days.index)
            can_impute = days["has_missing"] & days["complete"] & imputed_values.notna()
            total = total.where(~days["has_missing"], imputed_values.where(can_impute))
            imputed_flag = can_impute
        else:
            total = total.where(~days["has_missing"])
    quality.append(
        quality_row(
            INDEX,
            "gas_missing_operator",
            len(days),
            int(imputed_flag.sum()),
            key_strings(missing, ["region_code", "date", "operator"]),
            max_keys,
            imputed_days=int(imputed_flag.sum()),
            rule="an expected operator has no row that day; rows_out = days imputed from the "
            "operator's median share over the nearest complete days",
            expected_operators={code: sorted(ops) for code, ops in sorted(expected.items())},
        )
    )

    shares = profile.div(profile.sum(axis=1, min_count=1), axis=0)
    shares.columns = SHARE_COLUMNS
    shares = shares.reindex(pd.MultiIndex.from_frame(days[["region_code", "date"]]))
    has_profile = days["complete"].to_numpy()
    share_values = np.where(has_profile[:, None], shares.to_numpy(dtype="float64"), np.nan)

    out = days[["region_code", "date", "gas_operator_count", "gas_status"]].rename(
        columns={"date": "day"}
    )
    out["gas_consumption_mwh"] = total.astype("float64")
    out["gas_imputed"] = imputed_flag.astype(bool)
    out["gas_is_complete"] = (days["complete"] & ~days["has_missing"]).astype(bool)
    out[SHARE_COLUMNS] = share_values
    return out[GAS_COLUMNS].reset_index(drop=True), quality


def _within_source_span(daily: pd.DataFrame, source: pd.DataFrame) -> pd.Series:
    """True where ``daily``'s day lies within the source's first..last day for the region."""
    if source.empty:
        return pd.Series(False, index=daily.index)
    span = source.groupby("region_code")["day"].agg(["min", "max"])
    first = daily["region_code"].map(span["min"])
    last = daily["region_code"].map(span["max"])
    return (daily["day"] >= first) & (daily["day"] <= last)


def combine_daily_consumption(
    gas: pd.DataFrame, electricity: pd.DataFrame, params: dict[str, Any]
) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    """Gas and electricity days per region on a continuous calendar, with ``is_complete``.

    Each region gets one row per day between its first and last day of data; days without any
    source row are kept with NaN consumption and reported as missing days.
    """
    max_keys = int(params.get("max_detail_keys", 200))
    merged = gas.merge(electricity, on=["region_code", "day"], how="outer")
    spans = merged.groupby("region_code")["day"].agg(["min", "max"])
    calendar = pd.concat(
        [
            pd.DataFrame({"region_code": code, "day": pd.date_range(first, last, freq="D")})
            for code, (first, last) in spans.iterrows()
        ]
        or [pd.DataFrame(columns=["region_code", "day"])],
        ignore_index=True,
    )
    daily = calendar.merge(merged, on=["region_code", "day"], how="left", indicator=True)
    missing_days = daily[daily["_merge"] == "left_only"]
    # A source is expected for a region on the days between its first and last day there
    # (a gas-only period is not incomplete for lack of electricity, and vice versa).
    expects_gas = _within_source_span(daily, gas)
    expects_electricity = _within_source_span(daily, electricity)
    gas_ok = ~expects_gas | daily["gas_is_complete"].astype("boolean").fillna(False)
    electricity_ok = ~expects_electricity | daily["electricity_is_complete"].astype(
        "boolean"
    ).fillna(False)
    daily["is_complete"] = (gas_ok & electricity_ok).astype(bool)
    daily["gas_imputed"] = daily["gas_imputed"].astype("boolean").fillna(False).astype(bool)
    daily["gas_operator_count"] = daily["gas_operator_count"].fillna(0).astype("int64")
    daily["region"] = daily["region_code"].map({c: r.name for c, r in REGION_BY_CODE.items()})
    quality = [
        quality_row(
            INDEX,
            "missing_days",
            len(merged),
            len(daily),
            key_strings(missing_days, ["region_code", "day"]),
            max_keys,
            rule="no gas nor electricity row for a day inside the region's date range",
        ),
        flagged_rows_row(
            INDEX,
            "incomplete_days",
            daily,
            ~daily["is_complete"],
            ["region_code", "day"],
            max_keys,
            rule="is_complete = every expected operator and hour (gas) and half-hour "
            "(electricity) present",
        ),
    ]
    columns = [
        "region_code",
        "region",
        "day",
        "gas_consumption_mwh",
        "electricity_consumption_mwh",
        "gas_operator_count",
        "gas_status",
        "gas_imputed",
        "is_complete",
        *SHARE_COLUMNS,
    ]
    for column in ("gas_consumption_mwh", "electricity_consumption_mwh", *SHARE_COLUMNS):
        daily[column] = pd.to_numeric(daily[column], errors="coerce").astype("float64")
    daily["gas_status"] = daily["gas_status"].astype("string")
    return daily[columns].sort_values(["region_code", "day"]).reset_index(drop=True), quality


def daily_regional_consumption(
    raw_gas_load_curve: pd.DataFrame,
    raw_consumption_regional: pd.DataFrame,
    params: dict[str, Any],
    expected_gas_operators: dict[str, set[str]] | None = None,
) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    """Daily gas (courbe de charge) and electricity (half-hourly) consumption per region."""
    gas, gas_quality = aggregate_gas_daily(raw_gas_load_curve, params, expected_gas_operators)
    electricity, electricity_quality = aggregate_electricity_daily(raw_consumption_regional, params)
    daily, daily_quality = combine_daily_consumption(gas, electricity, params)
    return daily, [*gas_quality, *electricity_quality, *daily_quality]


NATIONAL_INDEX = CONSOMMATION_NATIONALE.name
NATIONAL_COLUMNS = [
    "day",
    "electricity_consumption_mwh",
    "gas_consumption_mwh",
    "electricity_is_complete",
    "gas_is_complete",
    "electricity_status",
    "gas_status",
]
_NOT_IGNORED = {"non", "no", "false", "0"}


def _energy_days(
    frame: pd.DataFrame, mw: str, slot_minutes: int, energy: str, policy: str
) -> pd.DataFrame:
    daily = daily_energy(
        frame.assign(_mw=pd.to_numeric(frame[mw], errors="coerce")), [], "_mw", slot_minutes, policy
    )
    return daily.rename(
        columns={
            "mwh": f"{energy}_consumption_mwh",
            "is_complete": f"{energy}_is_complete",
            "slots": f"{energy}_slots",
        }
    )


def aggregate_national_daily(
    raw: pd.DataFrame, params: dict[str, Any]
) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    """``raw_consumption_national`` (half-hourly MW) → daily national MWh per energy.

    Electricity: Σ MW × 0.5 h over the Europe/Paris day's half-hours (46/48/50); gas: the
    hourly values (full hours only: the source leaves the half-hours empty) Σ MW × 1 h over
    its 23/24/25 hours. Each energy has its own ``<energy>_is_complete`` and least final
    ``<energy>_status``; one row per day from the first to the last day of data (a day without
    rows is kept with NaN values). Duplicated instants (last ingested kept) and rows whose
    ``flag_ignore`` is set (anything but ``non``: excluded) are listed in the quality rows.
    """
    max_keys = int(params.get("max_detail_keys", 200))
    policy = partial_day_policy(params)
    if raw.empty:
        return pd.DataFrame(columns=NATIONAL_COLUMNS), []
    frame = raw.assign(timestamp=pd.to_datetime(raw["timestamp_utc"], utc=True))
    frame, dropped = _keep_last_ingested(frame, ["timestamp"])
    flag = (
        frame["flag_ignore"].astype("string").str.strip().str.lower()
        if "flag_ignore" in frame.columns
        else pd.Series(pd.NA, index=frame.index, dtype="string")
    )
    ignored = flag.notna() & ~flag.isin(_NOT_IGNORED)
    quality = [
        quality_row(
            NATIONAL_INDEX,
            "national_duplicated_instants",
            len(frame) + len(dropped),
            len(frame),
            key_strings(dropped.assign(t=dropped["timestamp"].astype("string")), ["t"]),
            max_keys,
            rule="same UTC instant: the last ingested row is kept",
        ),
        flagged_rows_row(
            NATIONAL_INDEX,
            "national_rows_flagged_ignore",
            frame.assign(t=frame["timestamp"].astype("string")),
            ignored,
            ["t"],
            max_keys,
            rule="flag_ignore set (not 'non'): the row is left out of the daily sums",
        ),
    ]
    frame = frame[~ignored.to_numpy()]
    frame = frame.assign(day=utc_to_local_day(frame["timestamp"]))
    electricity = _energy_days(frame, "electricity_rte_mw", 30, "electricity", policy)
    full_hours = frame[frame["timestamp"].dt.minute == 0]
    gas = _energy_days(full_hours, "gas_total_mw", 60, "gas", policy)
    daily = electricity.merge(gas, on="day", how="outer")
    calendar = pd.DataFrame({"day": pd.date_range(daily["day"].min(), daily["day"].max())})
    daily = calendar.merge(daily, on="day", how="left")
    statuses = {
        "electricity_status": frame[["day", "electricity_rte_status"]].rename(
            columns={"electricity_rte_status": "status"}
        ),
        "gas_status": pd.concat(
            [
                full_hours[["day", column]].rename(columns={column: "status"})
                for column in ("gas_grtgaz_status", "gas_terega_status")
            ],
            ignore_index=True,
        ),
    }
    for column, rows in statuses.items():
        rows = rows.assign(status=map_status(rows["status"]))
        worst = least_final_status_by(rows, ["day"], "status").rename(columns={"status": column})
        daily = daily.merge(worst, on="day", how="left")
    for energy in ("electricity", "gas"):
        complete = f"{energy}_is_complete"
        daily[complete] = daily[complete].astype("boolean").fillna(False).astype(bool)
        daily[f"{energy}_consumption_mwh"] = daily[f"{energy}_consumption_mwh"].astype("float64")
        quality.append(
            flagged_rows_row(
                NATIONAL_INDEX,
                f"national_{energy}_incomplete_days",
                daily,
                ~daily[complete],
                ["day"],
                max_keys,
                policy=policy,
                rule="fewer half-hours (electricity) or hours (gas) than the local day has, "
                "or no value at all that day",
            )
        )
    for column in statuses:
        daily[column] = daily[column].astype("string")
    return daily[NATIONAL_COLUMNS], quality


def national_consumption_index(
    raw: pd.DataFrame, weather: pd.DataFrame, params: dict[str, Any]
) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    """``consommation_nationale``: the daily national consumption (:func:`aggregate_national_daily`)
    with the national temperature of the observed regional ``weather`` (short gaps interpolated
    per region first, then weighted: :func:`domain.weather.national_weather`)."""
    max_keys = int(params.get("max_detail_keys", 200))
    daily, quality = aggregate_national_daily(raw, params)
    regional = continuous_temperatures(weather, int(params.get("max_temperature_gap_days", 0)))
    national = national_weather(regional, ["day"], params)
    merged = daily.merge(national, on="day", how="left", suffixes=("", "_national"))
    quality.append(
        flagged_rows_row(
            NATIONAL_INDEX,
            "national_days_without_temperature",
            merged,
            merged["temp_mean_c"].isna(),
            ["day"],
            max_keys,
            rule="no regional temperatures that day, or too few regions (below "
            "national_temperature.min_weight_share of the weights): temperatures NaN",
        )
    )
    index = CONSOMMATION_NATIONALE.select(merged).sort_values("day", ignore_index=True)
    index["day"] = as_date(index["day"])
    return index, quality
