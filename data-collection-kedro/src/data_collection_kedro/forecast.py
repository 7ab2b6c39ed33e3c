"""The forecast of one region (or France) and one day in one call, from the project's stores.

    >>> from data_collection_kedro.forecast import predict
    >>> predict(region="84", day="2024-12-02", energy="gas")
    {'region_code': '84', 'region': 'Auvergne-Rhône-Alpes', 'day': '2024-12-02',
     'energy': 'gas', 'unit': 'MWh PCS 0°C/jour', 'issue_day': '2024-12-01', 'lead_days': 1,
     'p10': ..., 'p50': ..., 'p90': ..., 'weather_basis': 'forecast', ...}

:func:`predict` opens a Kedro session of the project (``env``: ``None`` = the default
environment, ``"prod"``, ``"real"``...), reads through its catalog the consumption index of the
energy (``meteo_consommation`` per region, ``consommation_nationale`` for ``region="FR"``)
and the weather-forecast indices (``previsions_meteo``, ``previsions_meteo_nationales``), loads
the registered model's ``champion`` from the MLflow registry of the project's parameters, and
builds the model's features for that region and day with the rules of training and serving
(``modeling.operational``): the forecast is issued on ``issue_day`` (default: the day before
``day``, or the day after the last published consumption day when ``day`` is further ahead)
with only the consumption published then and the weather forecast known then; without one,
the model without target-day weather answers and ``weather_basis`` says so.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pandas as pd

from data_collection_kedro.domain.regions import NATIONAL_CODE, REGION_BY_CODE

PROJECT_PATH = Path(__file__).resolve().parents[2]
ENERGIES = ("gas", "electricity")
NATIONAL_ALIASES = {NATIONAL_CODE.lower(), "france", "national"}


def model_key_for(region: str, energy: str) -> str:
    """The operational model of an energy and a region code (``FR``: national)."""
    if energy not in ENERGIES:
        raise ValueError(f"energy: expected one of {ENERGIES}, got {energy!r}")
    if str(region).lower() in NATIONAL_ALIASES:
        if energy == "gas":
            raise ValueError("national gas is not forecast: choose a region for gas")
        return "day_ahead_electricity_national"
    if str(region) not in REGION_BY_CODE:
        raise ValueError(
            f"region: expected an INSEE region code {sorted(REGION_BY_CODE)} or "
            f"{NATIONAL_CODE!r}, got {region!r}"
        )
    return f"day_ahead_{energy}_regional"


def _load(catalog: Any, name: str) -> pd.DataFrame | None:
    return catalog.load(name) if name in catalog and catalog.exists(name) else None


def load_champion(registered_name: str, tracking_uri: str, alias: str = "champion") -> Any:
    """The ``alias`` version of a registered operational model (its ``OperationalForecaster``)
    and the version number: read through an explicit MLflow client (no process-wide MLflow
    state), loaded only in the project's code-free form (never a pickle)."""
    from mlflow.exceptions import MlflowException

    from data_collection_kedro.redaction import redact
    from data_collection_kedro.tracking.models import load_registered_model

    try:
        version, model = load_registered_model(registered_name, tracking_uri, alias=alias)
    except MlflowException as exc:
        raise LookupError(
            f"no '{alias}' version of {registered_name} in the MLflow registry "
            f"{redact(tracking_uri)}: run `kedro run --pipelines=forecasting` first"
        ) from exc
    return model.get_raw_model(), version


def predict(
    region: str,
    day: str | dt.date,
    energy: str = "gas",
    *,
    issue_day: str | dt.date | None = None,
    env: str | None = None,
    project_path: Path | str | None = None,
) -> dict[str, Any]:
    """P10/P50/P90 (MWh) of the daily consumption of ``energy`` in ``region`` (INSEE code, or
    ``"FR"`` for metropolitan France, electricity) on ``day``, and the basis of the forecast.

    Raises ``ValueError`` for an unknown region or energy or a day that cannot be forecast from
    the stores (no published consumption before it), ``LookupError`` when the model has no
    champion in the registry.
    """
    from kedro.framework.session import KedroSession
    from kedro.framework.startup import bootstrap_project

    from data_collection_kedro.modeling.adaptive_bands import adaptive_paths
    from data_collection_kedro.modeling.forecast_weather import indexed_forecasts
    from data_collection_kedro.modeling.inference import forecast_paths, forecasts_known_at
    from data_collection_kedro.modeling.operational import (
        OperationalSpec,
        national_series,
        regional_series,
    )

    key = model_key_for(region, energy)
    path = Path(project_path or PROJECT_PATH)
    bootstrap_project(path)
    with KedroSession.create(project_path=path, env=env) as session:
        # KedroSession.load_context; create() is typed as the abstract session
        context = session.load_context()  # type: ignore[attr-defined]
        catalog, params = context.catalog, context.params
        model = params["forecasting"]["operational"][key]
        spec = OperationalSpec.from_params(params["forecasting"], model)
        if model["scope"] == "national":
            index = catalog.load("consommation_nationale")
            series = national_series(index, str(model["energy"]))
        else:
            index = catalog.load("meteo_consommation")
            series = regional_series(index, str(model["target"]))
        forecasts = indexed_forecasts(
            _load(catalog, "previsions_meteo"), _load(catalog, "previsions_meteo_nationales")
        )
        tracking_uri = str(params["mlflow"]["tracking_uri"])
        alias = str(params["mlflow"].get("champion_alias", "champion"))
    code = NATIONAL_CODE if model["scope"] == "national" else str(region)
    series = series[series["region_code"] == code]
    target = pd.Timestamp(day).normalize()
    published = series.loc[series["target_mwh"].notna() & (series["day"] < target), "day"]
    if published.empty:
        raise ValueError(f"no published {energy} consumption of {code} before {target:%Y-%m-%d}")
    latest_issue = published.max() + pd.Timedelta(days=spec.history.gap_days - 1)
    issue = (
        pd.Timestamp(issue_day).normalize()
        if issue_day is not None
        else min(target - pd.Timedelta(days=1), latest_issue)
    )
    if not issue <= target:
        raise ValueError(f"issue_day {issue:%Y-%m-%d} is after the day {target:%Y-%m-%d}")
    forecaster, version = load_champion(str(model["registered_name"]), tracking_uri, alias)
    issues = pd.DataFrame({"region_code": [code], "issue_day": [issue]})
    known = forecasts_known_at(forecasts[forecasts["region_code"] == code], issues)
    stale = (known["issue_day"] - known["weather_issue_day"]).dt.days
    issues["stale_days"] = int(stale.min()) if len(stale) else 0
    lead = int((target - issue).days)
    path_rows = forecast_paths(
        forecaster,
        series,
        issues,
        spec,
        known.drop(columns="weather_issue_day"),
        horizon_days=lead,
        first_lead=lead,
    )
    path_rows = adaptive_paths(forecaster, series, forecasts, spec, path_rows)
    row = path_rows.iloc[-1]
    weather_issue = known.loc[known["day"] == target, "weather_issue_day"]
    actual = series.loc[series["day"] == target, "target_mwh"]
    return {
        "region_code": code,
        "region": str(row["region"]),
        "day": target.date().isoformat(),
        "energy": energy,
        "unit": str(model["unit"]),
        "issue_day": issue.date().isoformat(),
        "lead_days": lead,
        "p10": float(row["p10"]),
        "p50": float(row["p50"]),
        "p90": float(row["p90"]),
        "weather_basis": str(row["weather_basis"]),
        "weather_issue_day": (
            weather_issue.iloc[0].date().isoformat()
            if row["weather_basis"] == "forecast" and len(weather_issue)
            else None
        ),
        "actual_mwh": float(actual.iloc[0]) if len(actual) and pd.notna(actual.iloc[0]) else None,
        "model": str(model["registered_name"]),
        "model_version": version,
    }
