"""Forecast and classification metrics (one place for their definitions)."""

from __future__ import annotations

import numpy as np
import pandas as pd

REGRESSION_METRICS = ("mae", "rmse", "mape", "bias", "bias_pct")


def regression_metrics(actual: pd.Series, predicted: pd.Series) -> dict[str, float]:
    """MAE, RMSE, MAPE (%), bias (mean of predicted − actual) and bias in % of the actual total.

    Rows where either value is missing are left out; MAPE leaves out zero actuals (a zero
    consumption day is a data defect handled upstream, not a forecast error of infinite size).
    """
    frame = pd.DataFrame({"a": actual, "p": predicted}).astype(float).dropna()
    if frame.empty:
        return {name: float("nan") for name in (*REGRESSION_METRICS, "n")}
    error = frame["p"] - frame["a"]
    nonzero = frame["a"] != 0
    return {
        "mae": float(error.abs().mean()),
        "rmse": float(np.sqrt((error**2).mean())),
        "mape": float((error[nonzero].abs() / frame.loc[nonzero, "a"].abs()).mean() * 100),
        "bias": float(error.mean()),
        "bias_pct": float(error.sum() / frame["a"].sum() * 100),
        "n": float(len(frame)),
    }


def classification_metrics(truth: pd.Series, flagged: pd.Series) -> dict[str, float]:
    """Precision, recall and F1 of boolean flags against boolean ground truth."""
    truth = truth.astype(bool)
    flagged = flagged.astype(bool)
    tp = float((truth & flagged).sum())
    fp = float((~truth & flagged).sum())
    fn = float((truth & ~flagged).sum())
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "true_positives": tp,
        "false_positives": fp,
        "false_negatives": fn,
    }


def metrics_rows(model: str, split: str, metrics: dict[str, float]) -> pd.DataFrame:
    """``model_metrics`` rows (``model, split, metric, value``) for one model and split."""
    return pd.DataFrame(
        {
            "model": model,
            "split": split,
            "metric": list(metrics),
            "value": [float(v) for v in metrics.values()],
        }
    )


def per_region_metrics(backtest: pd.DataFrame) -> pd.DataFrame:
    """Regression metrics per ``model`` and ``region_code`` of a backtest frame.

    ``backtest`` has ``region_code, model, actual_mwh, predicted_mwh``.
    """
    rows = []
    for (model, region_code), group in backtest.groupby(["model", "region_code"], sort=True):
        m = regression_metrics(group["actual_mwh"], group["predicted_mwh"])
        rows.append({"model": model, "region_code": region_code, **m})
    return pd.DataFrame(rows)


BASELINE_PREFIX = "baseline_"


#: the scopes a baseline's name may end with (``baseline_<name>_<energy>_<scope>``)
SCOPES = ("regional", "national")


def _series(baseline: str) -> str | None:
    """``<energy>_<scope>`` of a per-series baseline name, None for a baseline of every model."""
    parts = baseline.split("_")
    return "_".join(parts[-2:]) if len(parts) > 3 and parts[-1] in SCOPES else None


def versus_best_baseline(
    model_metrics: pd.DataFrame, metric: str = "mape", split: str = "test"
) -> pd.DataFrame:
    """Each model's ``metric`` on ``split`` beside the best (lowest) of its baselines.

    ``model_metrics`` rows (``model, split, metric, value``); baselines are the models named
    ``baseline_*``. A baseline named ``baseline_<name>_<energy>_<scope>`` is a baseline of the
    models whose name holds ``_<energy>_<scope>`` (``day_ahead_gas_regional_no_weather``); one
    without a series suffix is a baseline of every model. One row per other model that has the
    metric: ``model``, ``value``, ``best_baseline``, ``baseline_value`` and ``gain_pct`` (how
    much lower than the baseline, in % of it; empty for a model without a baseline). Empty when
    no model or no baseline has the metric on that split.
    """
    columns = ["model", "value", "best_baseline", "baseline_value", "gain_pct"]
    rows = model_metrics[
        (model_metrics["split"].astype(str) == split)
        & (model_metrics["metric"].astype(str) == metric)
    ]
    values = pd.to_numeric(rows["value"], errors="coerce")
    scored = pd.DataFrame({"model": rows["model"].astype(str), "value": values}).dropna()
    is_baseline = scored["model"].str.startswith(BASELINE_PREFIX)
    baselines, models = scored[is_baseline], scored[~is_baseline]
    if baselines.empty or models.empty:
        return pd.DataFrame(columns=columns)
    series = baselines["model"].map(_series)
    best: list[tuple[str | None, float]] = []
    for model in models["model"]:
        own = baselines[[s is None or f"_{s}_" in f"_{model}_" for s in series]]
        if own.empty:
            best.append((None, float("nan")))
        else:
            top = own.sort_values("value").iloc[0]
            best.append((str(top["model"]), float(top["value"])))
    out = models.assign(
        best_baseline=pd.Series([name for name, _ in best], index=models.index, dtype=object),
        baseline_value=[value for _, value in best],
    )
    out["gain_pct"] = 100 * (out["baseline_value"] - out["value"]) / out["baseline_value"]
    return out.sort_values("value")[columns].reset_index(drop=True)
