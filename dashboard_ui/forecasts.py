"""The served forecasts as the pages read them: one row per scope, energy and day, with P10/P50/P90.

``consumption_forecasts`` (future days) and ``forecast_backtest`` (the test period replayed:
what the model forecast for days now observed) are normalised to
``region_code, region, day, energy, model, p10, p50, p90, weather_basis`` (``actual`` too for
the backtest). Column names follow the forecasting contract; while a table has no quantile
columns ``p10`` / ``p90`` stay empty and the pages say the band is not available, and a table
without an ``energy`` column is the energy of ``forecasting.target``.

The what-if models (``whatif_*``) are tools, not "the forecast": they are left out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

# the columns each normalised field may come from, in order of preference
QUANTILE_COLUMNS: dict[str, tuple[str, ...]] = {
    "p10": ("p10_mwh", "consumption_mwh_p10", "p10"),
    "p50": ("p50_mwh", "consumption_mwh_p50", "p50", "consumption_mwh_predicted", "predicted_mwh"),
    "p90": ("p90_mwh", "consumption_mwh_p90", "p90"),
}
ACTUAL_COLUMNS = ("actual_mwh", "consumption_mwh_actual")
NORMALISED = ["region_code", "region", "day", "energy", "model", "p10", "p50", "p90"]
ENERGY_TARGETS = {"gas_consumption_mwh": "gas", "electricity_consumption_mwh": "electricity"}
# rows of a whole-country forecast, when the forecasting pipeline writes one
NATIONAL_CODES = ("FR", "FRA", "00", "france")


def target_energy(forecasting_params: Mapping[str, Any]) -> str:
    """The energy of ``forecasting.target`` (``gas`` for ``gas_consumption_mwh``)."""
    target = str(forecasting_params.get("target", "gas_consumption_mwh"))
    return ENERGY_TARGETS.get(target, target.removesuffix("_consumption_mwh"))


def _first(frame: pd.DataFrame, candidates: Sequence[str]) -> pd.Series:
    for column in candidates:
        if column in frame.columns:
            return pd.to_numeric(frame[column], errors="coerce").astype(float)
    return pd.Series(np.nan, index=frame.index, dtype=float)


def normalise(
    table: pd.DataFrame,
    default_energy: str,
    excluded_prefixes: Sequence[str] = ("whatif_",),
) -> pd.DataFrame:
    """``table`` (``consumption_forecasts`` or ``forecast_backtest``) in the pages' columns."""
    if table.empty:
        return pd.DataFrame(columns=[*NORMALISED, "weather_basis", "actual"])
    model = table["model"].astype(str) if "model" in table.columns else pd.Series("", table.index)
    energy: pd.Series
    if "energy" in table.columns:
        energy = table["energy"].astype(str)
    else:
        lowered = model.str.lower()
        energy = pd.Series(
            np.where(
                lowered.str.contains("elec"),
                "electricity",
                np.where(lowered.str.contains("gas"), "gas", default_energy),
            ),
            index=table.index,
        )
    out = pd.DataFrame(
        {
            "region_code": table["region_code"].astype(str),
            "region": table["region"].astype(str) if "region" in table.columns else "",
            "day": pd.to_datetime(table["day"]).dt.normalize(),
            "energy": energy,
            "model": model,
            **{name: _first(table, columns) for name, columns in QUANTILE_COLUMNS.items()},
            "weather_basis": (
                table["weather_basis"].astype(str) if "weather_basis" in table.columns else None
            ),
            "actual": _first(table, ACTUAL_COLUMNS),
        }
    )
    if excluded_prefixes:
        out = out[~out["model"].str.startswith(tuple(excluded_prefixes))]
    return out.reset_index(drop=True)


def served_model(forecasts: pd.DataFrame, energy: str) -> str | None:
    """The first model (by name) that forecasts ``energy``, or None."""
    models = sorted(forecasts.loc[forecasts["energy"] == energy, "model"].unique())
    return str(models[0]) if models else None


def has_band(forecasts: pd.DataFrame) -> bool:
    return bool(forecasts[["p10", "p90"]].notna().all(axis=1).any()) if len(forecasts) else False


BAND_COLUMNS = ["day", "p10", "p50", "p90", "weather_basis"]


def _one_model(rows: pd.DataFrame) -> pd.DataFrame:
    """The rows of the first model (by name) among ``rows``."""
    if rows.empty:
        return rows
    return rows[rows["model"] == sorted(rows["model"].unique())[0]]


def scope_forecast(
    forecasts: pd.DataFrame, energy: str, region_code: str | None, regions: Sequence[str]
) -> tuple[pd.DataFrame, str | None]:
    """Daily ``day, p10, p50, p90, weather_basis`` of one energy for a region, or for France
    (``None``), and a note on how France was obtained.

    A region: the model forecasting that region. France: the national series when a model
    forecasts one (``region_code`` ``FR``); otherwise the sum of one model's regional forecasts
    of ``regions`` on the days every one of them is forecast (the band is then the sum of the
    regional bounds: errors taken as fully correlated, a wide band).
    """
    rows = forecasts[forecasts["energy"] == energy]
    empty = pd.DataFrame(columns=BAND_COLUMNS)
    if rows.empty:
        return empty, None
    if region_code is not None:
        one = _one_model(rows[rows["region_code"] == region_code])
        return one.reindex(columns=BAND_COLUMNS).sort_values("day"), None
    national = _one_model(rows[rows["region_code"].isin(NATIONAL_CODES)])
    if not national.empty:
        return national.reindex(columns=BAND_COLUMNS).sort_values("day"), None
    regional = _one_model(rows[rows["region_code"].isin(regions)])
    counts = regional.groupby("day")["region_code"].nunique()
    complete_days = counts.index[counts == len(set(regions))]
    summed = (
        regional[regional["day"].isin(complete_days)]
        .groupby("day")[["p10", "p50", "p90"]]
        .sum(min_count=len(set(regions)))
        .reset_index()
        .assign(weather_basis=None)
    )
    if summed.empty:
        return empty, None
    note = f"France = somme des prévisions des {len(set(regions))} régions" + (
        " ; bande = somme des bornes régionales (erreurs supposées corrélées, bande large)"
        if has_band(regional)
        else ""
    )
    return summed, note


WEATHER_BASES = {
    "forecast": "avec la météo prévue",
    "no_weather": "sans prévision météo pour ce jour (modèle sans la météo du jour)",
}


def basis_note(forecast: pd.DataFrame) -> str | None:
    """Which weather the forecast days used, in words (None when the table does not say)."""
    if "weather_basis" not in forecast.columns:
        return None
    bases = [str(b) for b in forecast["weather_basis"].dropna().unique() if str(b) != "None"]
    if not bases:
        return None
    return "prévisions " + " ; ".join(WEATHER_BASES.get(b, b) for b in sorted(bases))


def forecasts_nationally(tables: Sequence[pd.DataFrame | None], energy: str) -> bool:
    """Whether a model forecasts the national series of ``energy`` (rows ``FR``)."""
    return any(
        table is not None
        and bool(((table["energy"] == energy) & table["region_code"].isin(NATIONAL_CODES)).any())
        for table in tables
    )


def series_actuals(series: pd.DataFrame, column: str) -> pd.DataFrame:
    """``day, value`` of a national series (``consommation_nationale``), days with a value."""
    if column not in series.columns:
        return pd.DataFrame(columns=["day", "value"])
    rows = series[["day", column]].dropna()
    return pd.DataFrame(
        {"day": pd.to_datetime(rows["day"]).dt.normalize(), "value": rows[column].astype(float)}
    ).sort_values("day")


def national_actuals(meteo: pd.DataFrame, column: str, window_days: int = 28) -> pd.DataFrame:
    """``day, value, regions`` of France: the sum over regions on the days every region that
    reported ``column`` in the last ``window_days`` days reported it (no partial sums)."""
    data = meteo[["region_code", "day", column]].dropna(subset=[column])
    if data.empty:
        return pd.DataFrame(columns=["day", "value", "regions"])
    data = data.assign(day=pd.to_datetime(data["day"]).dt.normalize())
    recent = data[data["day"] > data["day"].max() - pd.Timedelta(days=window_days)]
    expected = recent["region_code"].astype(str).nunique()
    daily = data.groupby("day").agg(value=(column, "sum"), regions=("region_code", "nunique"))
    return pd.DataFrame(daily[daily["regions"] >= expected].reset_index())


def regional_actuals(meteo: pd.DataFrame, column: str, region_code: str) -> pd.DataFrame:
    """``day, value`` of one region (days with a value)."""
    rows = meteo[meteo["region_code"].astype(str) == region_code][["day", column]].dropna()
    return pd.DataFrame(
        {"day": pd.to_datetime(rows["day"]).dt.normalize(), "value": rows[column].astype(float)}
    ).sort_values("day")
