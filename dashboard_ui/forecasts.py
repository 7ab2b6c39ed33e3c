"""The served forecasts as the pages read them: one row per scope, energy and day, with P10/P50/P90.

``consumption_forecasts`` (future days) and ``forecast_backtest`` (the test period replayed:
what the model forecast for days now observed) are normalised to
``region_code, region, day, energy, model, p10, p50, p90, weather_basis`` (``actual`` too for
the backtest), from the columns of their data contracts (docs/data-contracts.md). National rows
carry ``region_code`` ``FR``.

The what-if models (``whatif_*``, in the backtest) are tools, not "the forecast": they are left
out.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from data_collection_kedro.domain.regions import NATIONAL_CODE

#: the contract columns each normalised field comes from: the served table, then the backtest
QUANTILE_COLUMNS: dict[str, tuple[str, ...]] = {
    "p10": ("consumption_mwh_p10", "p10_mwh"),
    "p50": ("consumption_mwh_predicted", "predicted_mwh"),
    "p90": ("consumption_mwh_p90", "p90_mwh"),
    "actual": ("actual_mwh",),
}
NORMALISED = ["region_code", "region", "day", "energy", "model", "p10", "p50", "p90"]


def _first(frame: pd.DataFrame, candidates: Sequence[str]) -> pd.Series:
    for column in candidates:
        if column in frame.columns:
            return pd.to_numeric(frame[column], errors="coerce").astype(float)
    return pd.Series(np.nan, index=frame.index, dtype=float)


def normalise(table: pd.DataFrame, excluded_prefixes: Sequence[str] = ("whatif_",)) -> pd.DataFrame:
    """``table`` (``consumption_forecasts`` or ``forecast_backtest``) in the pages' columns."""
    if table.empty:
        return pd.DataFrame(columns=[*NORMALISED, "weather_basis", "actual"])
    out = pd.DataFrame(
        {
            "region_code": table["region_code"].astype(str),
            "region": table["region"].astype(str),
            "day": pd.to_datetime(table["day"]).dt.normalize(),
            "energy": table["energy"].astype(str),
            "model": table["model"].astype(str),
            **{name: _first(table, columns) for name, columns in QUANTILE_COLUMNS.items()},
            "weather_basis": table["weather_basis"].astype(str),
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
    national = _one_model(rows[rows["region_code"] == NATIONAL_CODE])
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
        and bool(((table["energy"] == energy) & (table["region_code"] == NATIONAL_CODE)).any())
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
