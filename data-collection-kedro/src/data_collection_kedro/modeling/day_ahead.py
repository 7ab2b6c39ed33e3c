"""The day-ahead table of an operational model, kept across runs.

For every day D of a series, the forecast the model serves issued on D-1
(``modeling.operational.feature_rows`` with the weather forecast of the issue): its static
band and basis, the model without weather, the same model with the observed weather (the
upper bound of the evaluation) and what the baselines and the evaluation read (the actual,
the consumption history, the heating degree days). The evaluation
(``modeling.evaluation.operational_evaluation``) and the adaptive band of the served forecasts
(``modeling.adaptive_bands.own_forecasts``) read their day-ahead forecasts from it.

A row of D depends only on what is known at its issue, the actual of D and the observed weather
of D+1 (the oracle's ``*_next``): with one more day of data every earlier row stays the same.
The table is stored (``forecasting_day_ahead``) and a run takes the stored rows that are still
valid instead of computing them again:

- same model version, code and parameters: :func:`table_digest` (the training id of the model,
  its parameters, the source of the modules that compute a row, the libraries' versions);
- same inputs: per series and day an order-free hash of the series row and of the weather
  forecasts issued that day (:func:`input_digests`). From the first day whose hash differs
  (a corrected past day, a day added or removed) every row of the series from the day before
  it on is computed again (a row sees the observed weather of the day after it).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from data_collection_kedro.domain.features import (
    ISSUE_WEATHER_COLUMNS,
    SeriesDayGrid,
    as_day,
    day_positions,
    issue_weather,
    positions_in,
)
from data_collection_kedro.modeling.features import model_input
from data_collection_kedro.modeling.operational import (
    OperationalForecaster,
    OperationalSpec,
    feature_rows,
    served_forecasts,
    usable_rows,
)
from data_collection_kedro.modeling.retraining import config_digest

KEY = ["region_code", "day"]
#: the columns of :func:`served_day_ahead` (those of ``operational.served_forecasts``)
SERVED_COLUMNS = [
    "region_code",
    "region",
    "day",
    "issue_day",
    "lead_days",
    "is_complete",
    "p10",
    "p50",
    "p90",
    "weather_basis",
    "actual_mwh",
]
#: the modules whose code computes a row of the table (any change invalidates the stored rows)
TABLE_CODE = (
    "data_collection_kedro.domain.features",
    "data_collection_kedro.modeling.estimators",
    "data_collection_kedro.modeling.features",
    "data_collection_kedro.modeling.operational",
    __name__,
)
TABLE_PACKAGES = (
    "catboost",
    "scikit-learn",
    "pandas",
    "numpy",
    "holidays",
    "vacances-scolaires-france",
)
#: a row of day D sees the observed weather of D+1 (the oracle's ``*_next``): a change on day
#: X invalidates the rows from X - 1 on
LOOKAHEAD_DAYS = 1
# what a series row and a weather forecast row bring to a day-ahead row (``region`` names are
# taken from the series, not stored)
_SERIES_VALUES = ["target_mwh", "is_complete", "temp_min_c", "temp_max_c", "temp_mean_c"]
_FORECAST_VALUES = ("day", "temp_min_c", "temp_max_c", "temp_mean_c")


def table_digest(
    training: Mapping[str, Any] | None, spec: OperationalSpec, model_params: Mapping[str, Any]
) -> str | None:
    """The digest the stored rows of a model must carry to be reused: its training (``id`` of
    the training record), ``spec``, its parameters, the code of :data:`TABLE_CODE` and the
    versions of :data:`TABLE_PACKAGES`. None for a model without a training record (its rows
    are never reused)."""
    training_id = (training or {}).get("id")
    if not training_id:
        return None
    config = {"training": str(training_id), "spec": repr(spec), "model": dict(model_params)}
    return config_digest(config, TABLE_CODE, TABLE_PACKAGES)


def input_digests(series: pd.DataFrame, forecasts: pd.DataFrame | None) -> pd.DataFrame:
    """``region_code, day, input_digest`` (int64) of every series day: a hash of the series
    row's values (:data:`_SERIES_VALUES`) plus the order-free sum of the hashes of the weather
    forecasts issued on that day for the series (target day and temperatures; none: 0). The
    series and the day are the key the digests are compared on, not hashed."""
    days = as_day(series["day"])
    digest = pd.util.hash_pandas_object(series[_SERIES_VALUES], index=False).to_numpy()
    codes = series["region_code"].astype(str)
    if forecasts is not None and len(forecasts) and len(series):
        # the forecasts' hashes summed per (series, issue day) on the series' day grid
        position, unique = pd.factorize(codes)
        grid = pd.date_range(days.min(), days.max(), freq="D")
        own = positions_in(forecasts["region_code"].astype(str), pd.Index(unique))
        issue = day_positions(as_day(forecasts["issue_day"]), grid)
        values = forecasts[list(_FORECAST_VALUES)].assign(day=as_day(forecasts["day"]))
        hashes = pd.util.hash_pandas_object(values, index=False).to_numpy()
        inside = (own >= 0) & (issue >= 0)
        sums = np.zeros((len(unique), len(grid)), dtype=np.uint64)
        np.add.at(sums, (own[inside], issue[inside]), hashes[inside])  # wraps: order-free
        digest = digest + sums[position, day_positions(days, grid)]
    return pd.DataFrame(
        {
            "region_code": codes.array,
            "day": days.to_numpy(),
            "input_digest": digest.view(np.int64),
        },
        index=series.index,
    )


def _reusable(
    digests: pd.DataFrame,
    previous: pd.DataFrame | None,
    digest: str | None,
    model_key: str,
    wanted: np.ndarray,
) -> pd.DataFrame:
    """The rows of ``previous`` (the stored tables of any models) of ``model_key`` still valid
    for the rows of ``digests`` that are ``wanted`` (same table digest; every input of their
    series up to the day after them unchanged), indexed like ``digests``; without the store's
    own columns (``model_key``, ``input_digest``, ``table_digest``).

    Per series, the first day whose digest differs from the stored one (or that only one of
    them has), wanted or not, invalidates the stored rows from the day before it on."""
    if digest is None or previous is None or previous.empty:
        return pd.DataFrame()
    mine = (previous["model_key"].astype(str) == model_key) & (
        previous["table_digest"].astype(str) == digest
    )
    stored_rows = np.flatnonzero(mine.to_numpy(dtype=bool))
    if not len(stored_rows):
        return pd.DataFrame()
    stored = previous[[*KEY, "input_digest"]].take(stored_rows)
    stored = stored.assign(region_code=stored["region_code"].astype(str), day=as_day(stored["day"]))
    grid = SeriesDayGrid(pd.concat([digests[KEY], stored[KEY]], ignore_index=True))
    now_x, now_s, _ = grid.locate(digests)
    then_x, then_s, _ = grid.locate(stored)
    now, then = np.zeros(grid.shape, np.int64), np.zeros(grid.shape, np.int64)
    has_now, has_then = np.zeros(grid.shape, bool), np.zeros(grid.shape, bool)
    now[now_x, now_s], has_now[now_x, now_s] = digests["input_digest"].to_numpy(np.int64), True
    then[then_x, then_s] = stored["input_digest"].to_numpy(np.int64)
    has_then[then_x, then_s] = True
    changed = (has_now != has_then) | (has_now & (now != then))
    # a series without a change: every stored row is valid
    first = np.where(changed.any(axis=0), changed.argmax(axis=0), grid.shape[0] + LOOKAHEAD_DAYS)
    stored_row = np.full(grid.shape, -1, dtype=np.intp)
    stored_row[then_x, then_s] = stored_rows
    row = stored_row[now_x, now_s]
    valid = wanted & (now_x < first[now_s] - LOOKAHEAD_DAYS) & (row >= 0)
    own_columns = ["model_key", "input_digest", "table_digest"]
    taken = previous.drop(columns=own_columns).take(row[valid])
    return taken.set_axis(digests.index[valid])


def table_columns(spec: OperationalSpec) -> list[str]:
    """The columns of a day-ahead table (:func:`day_ahead_table`), in order."""
    return [
        "model_key",
        "region_code",
        "region",
        "day",
        "target_mwh",
        "is_complete",
        *spec.history.columns,
        "heating_degree_days",
        "oracle_heating_degree_days",
        "oracle_usable",
        "evaluable",
        "p10",
        "p50",
        "p90",
        "weather_basis",
        "no_weather_p50",
        "oracle_p50",
        "input_digest",
        "table_digest",
    ]


def _computed(
    forecaster: OperationalForecaster,
    series: pd.DataFrame,
    forecasts: pd.DataFrame | None,
    spec: OperationalSpec,
    weather_params: Mapping[str, Any],
    keys: pd.DataFrame,
) -> pd.DataFrame:
    """The table's columns of the series days ``keys`` (``region_code, day``), computed."""
    rows = keys[KEY].assign(issue_day=keys["day"] - pd.Timedelta(days=1))
    if forecasts is not None:  # a row reads the forecasts of its issue only
        issued = as_day(forecasts["issue_day"]).isin(as_day(rows["issue_day"]).unique())
        forecasts = forecasts[issued.to_numpy()]
    honest = feature_rows(series, rows, spec, forecasts)
    honest.index = keys.index
    oracle = honest.copy()
    oracle[list(ISSUE_WEATHER_COLUMNS)] = issue_weather(series, honest, None)
    served = served_forecasts(forecaster, honest)
    evaluable = served.index
    out = honest[
        ["region_code", "region", "day", "target_mwh", "is_complete", *spec.history.columns]
    ].copy()
    out["heating_degree_days"] = honest["heating_degree_days"]
    out["oracle_heating_degree_days"] = oracle["heating_degree_days"]
    out["oracle_usable"] = out.index.isin(usable_rows(oracle, weather_params, False).index)
    out["evaluable"] = out.index.isin(evaluable)
    for column in ("p10", "p50", "p90"):
        out[column] = served[column].reindex(out.index)
    out["weather_basis"] = served["weather_basis"].reindex(out.index)
    no_weather, oracle_p50 = np.full(len(out), np.nan), np.full(len(out), np.nan)
    if len(evaluable):
        chosen = out.index.get_indexer(evaluable)
        no_weather[chosen] = forecaster.no_weather_model.predict(
            model_input(honest.loc[evaluable], list(forecaster.no_weather_columns))
        )
        oracle_p50[chosen] = forecaster.predict(oracle.loc[evaluable])
    out["no_weather_p50"], out["oracle_p50"] = no_weather, oracle_p50
    return out


def day_ahead_table(
    forecaster: OperationalForecaster,
    series: pd.DataFrame,
    forecasts: pd.DataFrame | None,
    spec: OperationalSpec,
    weather_params: Mapping[str, Any],
    *,
    model_key: str,
    digest: str | None,
    previous: pd.DataFrame | None = None,
    first_day: Any = None,
) -> pd.DataFrame:
    """The day-ahead table of ``series`` (every day, or the days from ``first_day``), one row
    per series day in its order and index: ``region_code, region, day, target_mwh,
    is_complete``, the consumption history (``spec.history.columns``), ``heating_degree_days``
    (forecast-grade) and ``oracle_heating_degree_days`` (observed), ``oracle_usable`` (a row
    the models could train on: ``operational.usable_rows`` of ``weather_params`` with the
    observed weather), ``evaluable`` (``operational.evaluable``), the served ``p10, p50, p90,
    weather_basis`` (static band), ``no_weather_p50``, ``oracle_p50``, with ``model_key``,
    ``input_digest`` and ``table_digest`` (the keys of the store).

    ``previous``: the stored table (any models); its rows still valid (module docstring) are
    taken instead of computed; ``digest``: :func:`table_digest` of the model."""
    digests = input_digests(series, forecasts)
    wanted = np.ones(len(digests), dtype=bool)
    if first_day is not None:
        wanted = (digests["day"] >= pd.Timestamp(first_day)).to_numpy()
    # validity is decided on every day (a change before ``first_day`` changes the rows after it)
    reused = _reusable(digests, previous, digest, model_key, wanted)
    digests = digests[wanted]
    missing = series.loc[digests.index[~digests.index.isin(reused.index)], KEY]
    parts = [reused]
    if len(missing):
        parts.append(_computed(forecaster, series, forecasts, spec, weather_params, missing))
    parts = [part for part in parts if len(part)]
    if not parts:
        return pd.DataFrame(columns=table_columns(spec))
    table = pd.concat(parts).reindex(digests.index)
    # the series' own keys and names (values and types)
    table[[*KEY, "region"]] = series.loc[digests.index, [*KEY, "region"]]
    table["is_complete"] = table["is_complete"].astype(bool)
    table["oracle_usable"] = table["oracle_usable"].astype(bool)
    table["evaluable"] = table["evaluable"].astype(bool)
    table["model_key"] = model_key
    table["input_digest"] = digests["input_digest"]
    table["table_digest"] = digest or ""
    return table[table_columns(spec)]


def served_day_ahead(table: pd.DataFrame) -> pd.DataFrame:
    """The day-ahead forecasts of ``table``'s evaluable rows as
    ``operational.served_forecasts`` gives them (:data:`SERVED_COLUMNS`, issued the day
    before, lead 1)."""
    rows = table[table["evaluable"].to_numpy(dtype=bool)]
    out = rows[["region_code", "region", "day"]].copy()
    out["issue_day"] = rows["day"] - pd.Timedelta(days=1)
    out["lead_days"] = 1
    out["is_complete"] = rows["is_complete"]
    for column in ("p10", "p50", "p90", "weather_basis"):
        out[column] = rows[column]
    out["actual_mwh"] = rows["target_mwh"]
    return out[SERVED_COLUMNS]
