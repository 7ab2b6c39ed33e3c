"""Forecasting nodes: the operational forecasts of each energy (the forecast users get), the
what-if models, their evaluation against honest baselines, and the served next days.

Operational models (``forecasting.operational``, :mod:`data_collection_kedro.modeling.operational`):
issued on D-1 for D with the consumption published by then and the weather forecast of the
issue; P10/P50/P90 bands; the model without target-day weather for the rows without a forecast.

What-if models (``forecasting.models``): ``whatif_weather_catboost`` (consumption for a given
weather) and ``whatif_movements_rf`` (for given social movements) learn the ratio of gas
consumption to its trailing level; they serve the dashboard's forms, not the forecast.

Every training node reuses the model stored by the previous run when the retraining policy
allows it (:mod:`data_collection_kedro.modeling.retraining`): its inputs end with that model
(``<key>_model_previous``) and ``params:model_retraining``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import pandas as pd

from data_collection_kedro.domain.features import HistorySpec, positions_in
from data_collection_kedro.modeling.artifacts import ModelArtifact, pinned_requirements
from data_collection_kedro.modeling.day_ahead import day_ahead_table, table_digest
from data_collection_kedro.modeling.estimators import fit_level_ratio
from data_collection_kedro.modeling.evaluation import (
    backtest_rows,
    operational_evaluation,
    served_table,
)
from data_collection_kedro.modeling.features import forecasting_features, model_input
from data_collection_kedro.modeling.forecast_weather import (
    ForecastError,
    indexed_forecasts,
    simulated_forecasts,
)
from data_collection_kedro.modeling.inference import next_days
from data_collection_kedro.modeling.metrics import metrics_rows, regression_metrics
from data_collection_kedro.modeling.operational import (
    OperationalSpec,
    national_series,
    regional_series,
)
from data_collection_kedro.modeling.operational_training import (
    describe_operational,
    train_operational,
)
from data_collection_kedro.modeling.retraining import (
    TrainingData,
    config_digest,
    split_days,
    train_or_reuse,
)
from data_collection_kedro.modeling.splits import assign_split, time_split_bounds

logger = logging.getLogger(__name__)

REQUIREMENTS = ("catboost", "scikit-learn", "pandas", "numpy", "skops")
#: the code a model's retraining digest covers: what builds its features and fits it
WHATIF_CODE = (
    "data_collection_kedro.domain.features",
    "data_collection_kedro.modeling.estimators",
    "data_collection_kedro.modeling.features",
    __name__,
)
OPERATIONAL_CODE = (
    *WHATIF_CODE,
    "data_collection_kedro.modeling.adaptive_bands",
    "data_collection_kedro.modeling.inference",
    "data_collection_kedro.modeling.operational",
    "data_collection_kedro.modeling.operational_training",
)


def _shared(params: Mapping[str, Any]) -> dict[str, Any]:
    """The forecasting parameters every model depends on (not the other models' blocks)."""
    return {k: v for k, v in params.items() if k not in ("operational", "models")}


# ------------------------------------------------------------------------ what-if models
def build_features(
    meteo_consommation: pd.DataFrame,
    consommation_mouvements: pd.DataFrame,
    params: dict[str, Any],
) -> pd.DataFrame:
    """The daily regional feature frame of the what-if models with the split of every day."""
    spec = HistorySpec(
        lags=(),
        windows=(),
        level_window_days=int(params.get("level_window_days", 365)),
        level_min_periods=int(params.get("level_min_periods", 28)),
    )
    features = forecasting_features(
        meteo_consommation, consommation_mouvements, target=params["target"], history=spec
    )
    bounds = time_split_bounds(features.loc[features["target_mwh"].notna(), "day"], params["split"])
    features["split"] = assign_split(features["day"], bounds)
    logger.info("what-if split %s (%d rows)", bounds, len(features))
    return features


def _training_rows(
    features: pd.DataFrame, splits: tuple[str, ...], columns: list[str], params: dict[str, Any]
) -> pd.DataFrame:
    rows = features[features["split"].isin(splits) & features["target_mwh"].notna()]
    if params.get("train_on_complete_days_only", True):
        rows = rows[rows["is_complete"]]
    numeric = [c for c in columns if c != "region_code"]
    level = rows[numeric].notna().all(axis=1) & (rows["target_mwh"] > 0)
    return rows[level]


def _evaluable_rows(features: pd.DataFrame, split: str, columns: list[str]) -> pd.DataFrame:
    """Rows of ``split`` with a target and every input (a model cannot predict without inputs)."""
    rows = features[(features["split"] == split) & features["target_mwh"].notna()]
    numeric = [c for c in columns if c != "region_code"]
    return rows[rows[numeric].notna().all(axis=1)]


def train_model(
    features: pd.DataFrame,
    params: dict[str, Any],
    model_key: str,
    previous: ModelArtifact | None = None,
    retraining: Mapping[str, Any] | None = None,
) -> ModelArtifact:
    """A what-if model: fit on train, score on validation (selection metric), refit on train +
    validation (the model returned, evaluated on the test period and registered); ``previous``
    (the stored model) instead when the retraining policy allows it."""
    train_end, test_start = split_days(features["day"], features["split"])
    data = TrainingData(
        frames=((features.drop(columns="split"), "day"),),
        train_end=train_end,
        data_end=pd.Timestamp(features.loc[features["target_mwh"].notna(), "day"].max()),
        test_start=test_start,
    )
    digest = config_digest(
        {"shared": _shared(params), "model": params["models"][model_key]},
        WHATIF_CODE,
        REQUIREMENTS,
    )
    return train_or_reuse(
        previous, retraining, digest, data, lambda: _train_whatif(features, params, model_key)
    )


def _train_whatif(features: pd.DataFrame, params: dict[str, Any], model_key: str) -> ModelArtifact:
    model_params = params["models"][model_key]
    columns = list(model_params["features"])
    kind = model_params["kind"]
    train = _training_rows(features, ("train",), columns, params)
    validation = _evaluable_rows(features, "validation", columns)
    if train.empty or validation.empty:
        raise ValueError(
            f"{model_key}: no usable rows (train {len(train)}, validation {len(validation)}); "
            "check the split parameters and that the indices cover enough days"
        )
    first = fit_level_ratio(model_params, train, columns)
    validation_metrics = regression_metrics(
        validation["target_mwh"],
        pd.Series(first.predict(model_input(validation, columns)), index=validation.index),
    )
    final_rows = _training_rows(features, ("train", "validation"), columns, params)
    final = fit_level_ratio(model_params, final_rows, columns)
    logger.info(
        "%s: %d training rows, validation MAPE %.2f%%, bias %.1f MWh",
        model_key,
        len(final_rows),
        validation_metrics["mape"],
        validation_metrics["bias"],
    )
    first_day = final_rows["day"].min().date().isoformat()
    last_day = final_rows["day"].max().date().isoformat()
    return ModelArtifact(
        model_key=model_key,
        registered_name=model_params["registered_name"],
        model=final,
        input_columns=columns,
        input_example=model_input(final_rows.tail(5), columns).reset_index(drop=True),
        params={
            "kind": kind,
            "target": params["target"],
            "features": ",".join(columns),
            "level_column": model_params["level_column"],
            "recent_weight_half_life_days": model_params.get("recent_weight_half_life_days"),
            "train_rows_validation_fit": len(train),
            "train_rows": len(final_rows),
            "train_first_day": first_day,
            "train_last_day": last_day,
            **{f"{kind}.{k}": v for k, v in model_params.get(kind, {}).items()},
        },
        validation_metrics=validation_metrics,
        selection_metric="mape",
        higher_is_better=False,
        pip_requirements=pinned_requirements(*REQUIREMENTS),
        description=(
            f"What-if tool (not a forecast): daily gas consumption of a region, MWh PCS 0°C/day, "
            f"for the weather or social movements given as inputs. Inputs: {', '.join(columns)}. "
            f"Trained on {first_day}..{last_day}; validation MAPE "
            f"{validation_metrics['mape']:.2f} %."
        ),
        tags={"energy": "gas", "unit": "MWh PCS 0°C/day", "role": "what-if"},
    )


# -------------------------------------------------------------------- operational models
def build_series(
    meteo_consommation: pd.DataFrame,
    consommation_nationale: pd.DataFrame,
    params: dict[str, Any],
) -> pd.DataFrame:
    """The daily series of every operational model (``model_key`` + ``modeling.operational.
    SERIES_COLUMNS``): regional ones from ``meteo_consommation``, the national one from
    ``consommation_nationale``."""
    frames = []
    for key, model in params["operational"].items():
        if model["scope"] == "national":
            series = national_series(consommation_nationale, str(model["energy"]))
        else:
            series = regional_series(meteo_consommation, str(model["target"]))
        logger.info("%s: %d series, %d days", key, series["region_code"].nunique(), len(series))
        frames.append(series.assign(model_key=key))
    return pd.concat(frames, ignore_index=True)


def build_weather_forecasts(
    previsions_meteo: pd.DataFrame,
    previsions_meteo_nationales: pd.DataFrame,
    series: pd.DataFrame,
    params: dict[str, Any],
    evaluation: dict[str, Any],
    national_temperature: dict[str, Any],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The weather forecasts of serving (the forecast indices) and of the evaluation and the
    band calibration (``forecast_evaluation.weather``: the same, or ``simulated`` from the
    observed weather where no archive of forecasts exists)."""
    served = indexed_forecasts(previsions_meteo, previsions_meteo_nationales)
    mode = str(evaluation.get("weather", "forecast_index"))
    if mode == "forecast_index":
        evaluated = served
    elif mode == "simulated":
        observed = series.drop_duplicates(["region_code", "day"])
        evaluated = simulated_forecasts(
            observed,
            ForecastError.from_params(params.get("simulated_forecast_error", {})),
            national_temperature.get("weights", {}),
        )
    else:
        raise ValueError(
            f"forecast_evaluation.weather: expected 'forecast_index' or 'simulated', got {mode!r}"
        )
    logger.info(
        "weather forecasts: %d served rows, %d evaluation rows (%s)",
        len(served),
        len(evaluated),
        mode,
    )
    return served, evaluated


def _operational(
    params: Mapping[str, Any], model_key: str
) -> tuple[dict[str, Any], OperationalSpec]:
    model = dict(params["operational"][model_key])
    return model, OperationalSpec.from_params(params, model)


def _split(params: Mapping[str, Any], evaluation: Mapping[str, Any], model_key: str) -> Any:
    return (evaluation.get("splits") or {}).get(model_key, params["split"])


def _model_series(series: pd.DataFrame, model_key: str) -> pd.DataFrame:
    return series[series["model_key"] == model_key].drop(columns="model_key").reset_index(drop=True)


def _model_forecasts(forecasts: pd.DataFrame, series: pd.DataFrame) -> pd.DataFrame:
    own = positions_in(forecasts["region_code"], pd.Index(series["region_code"].unique()))
    return forecasts[own >= 0]


def train_operational_model(
    series: pd.DataFrame,
    forecasts: pd.DataFrame,
    params: dict[str, Any],
    evaluation: dict[str, Any],
    model_key: str,
    previous: ModelArtifact | None = None,
    retraining: Mapping[str, Any] | None = None,
    national_temperature: Mapping[str, Any] | None = None,
) -> ModelArtifact:
    """An operational model: trained with the observed weather (and its noisy-weather copies,
    the national ones weighted by ``national_temperature``), validated and its bands
    calibrated on honest forecasts, refitted on train + validation; ``previous`` (the stored
    model) instead when the retraining policy allows it."""
    model = params["operational"][model_key]
    own = _model_series(series, model_key)
    own_forecasts = _model_forecasts(forecasts, own)
    split = _split(params, evaluation, model_key)
    weights = dict((national_temperature or {}).get("weights", {}))
    bounds = time_split_bounds(own.loc[own["target_mwh"].notna(), "day"], dict(split))
    train_end = pd.Timestamp(bounds["validation_end"])
    data = TrainingData(
        frames=((own, "day"), (own_forecasts, "issue_day")),
        train_end=train_end,
        data_end=pd.Timestamp(bounds["test_end"]),
        test_start=train_end + pd.Timedelta(days=1),
    )
    config = {
        "shared": _shared(params),
        "model": model,
        "split": split,
        "evaluation_weather": evaluation.get("weather", "forecast_index"),
        "national_weights": weights,
    }
    digest = config_digest(config, OPERATIONAL_CODE, REQUIREMENTS)
    return train_or_reuse(
        previous,
        retraining,
        digest,
        data,
        lambda: _train_operational(own, own_forecasts, params, evaluation, model_key, weights),
    )


def _train_operational(
    own: pd.DataFrame,
    own_forecasts: pd.DataFrame,
    params: dict[str, Any],
    evaluation: dict[str, Any],
    model_key: str,
    national_weights: Mapping[str, float],
) -> ModelArtifact:
    model, spec = _operational(params, model_key)
    trained = train_operational(
        own,
        own_forecasts,
        spec,
        model,
        _split(params, evaluation, model_key),
        params.get("bands", {}),
        bool(params.get("train_on_complete_days_only", True)),
        ForecastError.from_params(params.get("simulated_forecast_error", {})),
        national_weights,
    )
    forecaster = trained.forecaster
    return ModelArtifact(
        model_key=model_key,
        registered_name=str(model["registered_name"]),
        model=forecaster,
        input_columns=forecaster.input_columns,
        input_example=trained.input_example,
        params={
            "energy": model["energy"],
            "scope": model["scope"],
            "unit": model["unit"],
            "issue_hour": spec.issue_hour,
            "history_gap_days": spec.history.gap_days,
            "features": ",".join(model["weather_model"]["features"]),
            "no_weather_features": ",".join(model["no_weather_model"]["features"]),
            "train_rows": trained.train_rows,
            "train_first_day": trained.first_day.date().isoformat(),
            "train_last_day": trained.last_day.date().isoformat(),
            "evaluation_weather": evaluation.get("weather", "forecast_index"),
            "noisy_weather_copies": int(model["weather_model"].get("noisy_weather_copies", 0)),
            **{f"catboost.{k}": v for k, v in model["weather_model"].get("catboost", {}).items()},
        },
        validation_metrics=trained.validation_metrics,
        selection_metric="mape",
        higher_is_better=False,
        pip_requirements=pinned_requirements(*REQUIREMENTS),
        description=describe_operational(model, spec, trained),
        tags={
            "energy": str(model["energy"]),
            "scope": str(model["scope"]),
            "unit": str(model["unit"]),
            "role": "forecast",
            "issue": f"D-1 {spec.issue_hour:g}h, consumption up to D-{spec.history.gap_days}",
        },
    )


# ---------------------------------------------------------------------------- evaluation
def evaluate_models(
    features: pd.DataFrame,
    series: pd.DataFrame,
    forecasts: pd.DataFrame,
    params: dict[str, Any],
    evaluation: dict[str, Any],
    stored_day_ahead: Mapping[str, pd.DataFrame] | None,
    *artifacts: ModelArtifact,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """``model_metrics`` rows and the per-day test backtest of every model, and the day-ahead
    table of every operational model (``forecasting_day_ahead``,
    :func:`~data_collection_kedro.modeling.day_ahead.day_ahead_table`: the rows of the stored
    tables still valid, the others computed; ``stored_day_ahead``: the stored file by name,
    none before the first run).

    Operational models: served forecasts with honest weather (bands, coverage, basis), the
    same model with the observed weather (``<model>_oracle_weather``: an upper bound no user
    has), the model without weather (``<model>_no_weather``) and the honest baselines
    (``baseline_<name>_<energy>_<scope>``), on the same days. What-if models: their test
    metrics (they see the day's observed weather: what-if tools, not forecasts).
    """
    operational = params.get("operational", {})
    stored = pd.concat(stored_day_ahead.values()) if stored_day_ahead else None
    rows, backtests, tables = [], [], []
    for artifact in artifacts:
        if artifact.model_key not in operational:
            continue
        model, spec = _operational(params, artifact.model_key)
        own = _model_series(series, artifact.model_key)
        metrics, backtest, table = operational_evaluation(
            artifact,
            own,
            _model_forecasts(forecasts, own),
            spec,
            model,
            _split(params, evaluation, artifact.model_key),
            stored=stored,
        )
        rows.append(metrics)
        backtests.append(backtest)
        tables.append(table)
        rows.append(metrics_rows(artifact.model_key, "validation", artifact.validation_metrics))
    whatif = [a for a in artifacts if a.model_key not in operational]
    if whatif:
        metrics, backtest = _evaluate_whatif(features, whatif)
        rows.append(metrics)
        backtests.append(backtest)
    metrics = pd.concat(rows, ignore_index=True)
    _log_summary(metrics)
    day_ahead = pd.concat(tables, ignore_index=True) if tables else pd.DataFrame()
    return metrics, pd.concat(backtests, ignore_index=True), day_ahead


def _evaluate_whatif(
    features: pd.DataFrame, artifacts: list[ModelArtifact]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    columns = sorted({c for a in artifacts for c in a.input_columns})
    evaluable = _evaluable_rows(features, "test", columns)
    rows, backtests = [], []
    for artifact in artifacts:
        predicted = artifact.predict(model_input(evaluable, artifact.input_columns))
        rows.append(
            metrics_rows(
                artifact.model_key, "test", regression_metrics(evaluable["target_mwh"], predicted)
            )
        )
        rows.append(metrics_rows(artifact.model_key, "validation", artifact.validation_metrics))
        backtests.append(
            backtest_rows(evaluable, artifact.model_key, predicted, energy="gas", scope="regional")
        )
    return pd.concat(rows, ignore_index=True), pd.concat(backtests, ignore_index=True)


def _log_summary(metrics: pd.DataFrame) -> None:
    test = metrics[
        (metrics["split"] == "test") & metrics["metric"].isin(["mape", "bias_pct", "coverage_pct"])
    ]
    table = test.pivot_table(index="model", columns="metric", values="value")
    logger.info("test-period metrics:\n%s", table.round(2).to_string())


# ----------------------------------------------------------------------------- serving
def forecast_next_days(
    series: pd.DataFrame,
    forecasts: pd.DataFrame,
    params: dict[str, Any],
    day_ahead: pd.DataFrame | None,
    *artifacts: ModelArtifact,
) -> pd.DataFrame:
    """The served forecasts (``consumption_forecasts``): every operational model, every
    series, the ``horizon_days`` days after the day after its last published consumption,
    P10/P50/P90 and the basis of each row (the weather forecast known then, or none).

    ``day_ahead``: the stored day-ahead tables (:func:`evaluate_models`); the adaptive band of
    each model takes its rows still valid for these series and forecasts and computes the
    others."""
    frames = []
    for artifact in artifacts:
        if artifact.model_key not in params.get("operational", {}):
            continue
        model, spec = _operational(params, artifact.model_key)
        own = _model_series(series, artifact.model_key)
        own_forecasts = _model_forecasts(forecasts, own)
        fitted_until = getattr(artifact.model, "fitted_until", None)
        table = None
        if fitted_until is not None:
            table = day_ahead_table(
                artifact.model,
                own,
                own_forecasts,
                spec,
                model["weather_model"],
                model_key=artifact.model_key,
                digest=table_digest(artifact.training, spec, model),
                previous=day_ahead,
                first_day=pd.Timestamp(fitted_until) + pd.Timedelta(days=1),
            )
        paths = next_days(artifact.model, own, own_forecasts, spec, computed=table)
        frames.append(served_table(paths, artifact.model_key, model))
    return pd.concat(frames, ignore_index=True)
