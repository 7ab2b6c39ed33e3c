"""What the pages show, computed from the stored tables (pure functions, no Streamlit).

- anomalies: each flagged day with its actual and expected consumption, the gap and the
  indicator that explains it;
- clusters: what characterises each group of regions, and why DBSCAN leaves regions out;
- data quality: imputed, partial and missing days by region, quarantined rows by source;
- fuel: daily regional prices per fuel.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from data_collection_kedro.modeling.anomaly import ENERGY_COLUMNS
from data_collection_kedro.modeling.clustering import (
    PROFILE_COLUMNS,
    WEEKLY_COLUMNS,
    YEARLY_COLUMNS,
)

# --------------------------------------------------------------------------------- anomalies


def feature_energy(feature: str) -> str | None:
    """``gas`` for ``temperature_residual_gas``; None when the name names no energy."""
    for energy in ENERGY_COLUMNS:
        if feature.endswith(f"_{energy}"):
            return energy
    return None


def anomaly_details(
    anomalies: pd.DataFrame, features: pd.DataFrame | None, meteo: pd.DataFrame
) -> pd.DataFrame:
    """Every scored region-day with, per energy, ``actual_<energy>``, ``expected_<energy>``
    (the median of the region's surrounding days, the reference of the anomaly model's
    ``daily_total_ratio_<energy>`` indicator), ``gap_<energy>`` and ``gap_pct_<energy>``, plus
    ``explained_energy`` (the energy of ``top_feature``) and the severity rank of flagged days.
    """
    key = ["region_code", "day"]
    out = anomalies.assign(
        region_code=anomalies["region_code"].astype(str),
        day=pd.to_datetime(anomalies["day"]).dt.normalize(),
        is_anomaly=anomalies["is_anomaly"].astype(bool),
        anomaly_score=pd.to_numeric(anomalies["anomaly_score"], errors="coerce").astype(float),
    )
    columns = [c for c in ENERGY_COLUMNS.values() if c in meteo.columns]
    weather = [c for c in ("temp_mean_c",) if c in meteo.columns]
    actual = meteo[[*key, *columns, *weather]].assign(
        region_code=meteo["region_code"].astype(str),
        day=pd.to_datetime(meteo["day"]).dt.normalize(),
    )
    out = out.merge(actual, on=key, how="left")
    ratios = [f"daily_total_ratio_{e}" for e in ENERGY_COLUMNS]
    if features is not None and set(ratios) & set(features.columns):
        present = [r for r in ratios if r in features.columns]
        ratio = features[[*key, *present]].assign(
            region_code=features["region_code"].astype(str),
            day=pd.to_datetime(features["day"]).dt.normalize(),
        )
        out = out.merge(ratio, on=key, how="left")
    for energy, column in ENERGY_COLUMNS.items():
        value = out[column].astype(float) if column in out.columns else pd.Series(np.nan, out.index)
        ratio_column = f"daily_total_ratio_{energy}"
        ratios_of_energy = (
            out[ratio_column].astype(float)
            if ratio_column in out.columns
            else pd.Series(np.nan, out.index)
        )
        expected = value / ratios_of_energy
        out[f"actual_{energy}"] = value
        out[f"expected_{energy}"] = expected
        out[f"gap_{energy}"] = value - expected
        out[f"gap_pct_{energy}"] = 100 * (value - expected) / expected
    out["explained_energy"] = out["top_feature"].astype(str).map(feature_energy)
    flagged = out["is_anomaly"]
    out["severity_rank"] = pd.Series(pd.NA, index=out.index, dtype="Int64")
    out.loc[flagged, "severity_rank"] = (
        out.loc[flagged, "anomaly_score"].rank(ascending=False, method="first").astype("Int64")
    )
    drop = [c for c in [*columns, *ratios] if c in out.columns]
    return out.drop(columns=drop).sort_values(key).reset_index(drop=True)


def ranked_anomalies(details: pd.DataFrame, energy: str | None = None) -> pd.DataFrame:
    """Flagged days, most severe first, with the gap of ``energy`` (else of the energy that
    explains each day): ``region_code, region, day, anomaly_score, explanation feature, actual,
    expected, gap, gap_pct``."""
    flagged = details[details["is_anomaly"]].sort_values("anomaly_score", ascending=False)
    rows = []
    for _, row in flagged.iterrows():
        shown = energy or row["explained_energy"] or "gas"
        rows.append(
            {
                "region_code": row["region_code"],
                "region": row["region"],
                "day": row["day"],
                "anomaly_score": row["anomaly_score"],
                "top_feature": row["top_feature"],
                "energy": shown,
                "actual_mwh": row.get(f"actual_{shown}"),
                "expected_mwh": row.get(f"expected_{shown}"),
                "gap_mwh": row.get(f"gap_{shown}"),
                "gap_pct": row.get(f"gap_pct_{shown}"),
                "temp_mean_c": row.get("temp_mean_c"),
            }
        )
    columns = [
        "region_code",
        "region",
        "day",
        "anomaly_score",
        "top_feature",
        "energy",
        "actual_mwh",
        "expected_mwh",
        "gap_mwh",
        "gap_pct",
        "temp_mean_c",
    ]
    return pd.DataFrame(rows, columns=columns)


def anomaly_metrics(model_metrics: pd.DataFrame, model: str) -> dict[str, float]:
    """``{metric: value}`` of the anomaly model's evaluation on the labelled sample."""
    rows = model_metrics[
        (model_metrics["model"].astype(str) == model)
        & (model_metrics["split"].astype(str) == "validation")
    ]
    return {str(m): float(v) for m, v in zip(rows["metric"], rows["value"], strict=True)}


# ---------------------------------------------------------------------------------- clusters


def profile_traits(profiles: pd.DataFrame) -> pd.DataFrame:
    """Per region: ``winter`` (Dec–Feb consumption over the yearly mean), ``summer``
    (Jun–Aug), ``weekend`` (Saturday–Sunday over Monday–Friday) from the clustering profiles."""
    months = {int(c[6:8]): c for c in YEARLY_COLUMNS}
    weekdays = WEEKLY_COLUMNS
    return pd.DataFrame(
        {
            "region_code": profiles["region_code"].astype(str),
            "winter": profiles[[months[m] for m in (12, 1, 2)]].mean(axis=1),
            "summer": profiles[[months[m] for m in (6, 7, 8)]].mean(axis=1),
            "weekend": profiles[weekdays[5:]].mean(axis=1) / profiles[weekdays[:5]].mean(axis=1),
        }
    )


def cluster_summary(
    clusters: pd.DataFrame, profiles: pd.DataFrame, meteo: pd.DataFrame, target: str
) -> pd.DataFrame:
    """One row per cluster: regions, their count, mean traits (see :func:`profile_traits`),
    mean daily ``target`` and temperature, and a sentence saying what sets it apart."""
    traits = profile_traits(profiles)
    level = (
        meteo.assign(region_code=meteo["region_code"].astype(str))
        .groupby("region_code")[[target, "temp_mean_c"]]
        .mean(numeric_only=True)
        .reset_index()
        .rename(columns={target: "mean_mwh", "temp_mean_c": "mean_temp_c"})
    )
    merged = (
        clusters.assign(region_code=clusters["region_code"].astype(str))
        .merge(traits, on="region_code", how="left")
        .merge(level, on="region_code", how="left")
    )
    overall = merged[["winter", "summer", "weekend"]].mean()
    rows = []
    for cluster_label, group in merged.groupby("cluster", sort=True):
        cluster = int(str(cluster_label))
        means = group[["winter", "summer", "weekend", "mean_mwh", "mean_temp_c"]].mean()
        rows.append(
            {
                "cluster": cluster,
                "regions": ", ".join(sorted(group["region"].astype(str))),
                "region_count": len(group),
                **means.to_dict(),
                "description": describe_cluster(means, overall, noise=cluster == -1),
            }
        )
    return pd.DataFrame(rows)


def describe_cluster(means: pd.Series, overall: pd.Series, noise: bool = False) -> str:
    """What sets a cluster apart from the average of the regions, in French."""
    if noise:
        return "Régions qu'aucun groupe n'accueille (voir l'explication du bruit DBSCAN)"
    parts = []
    winter = means["winter"] - overall["winter"]
    if abs(winter) >= 0.05:
        parts.append(
            f"hiver {'plus' if winter > 0 else 'moins'} marqué "
            f"({_times(means['winter'])} la moyenne annuelle, contre {_times(overall['winter'])})"
        )
    weekend = means["weekend"] - overall["weekend"]
    if abs(weekend) >= 0.01:
        parts.append(
            f"week-end {'plus' if weekend < 0 else 'moins'} creux "
            f"({_times(means['weekend'])} la semaine, contre {_times(overall['weekend'])})"
        )
    summer = means["summer"] - overall["summer"]
    if abs(summer) >= 0.05:
        parts.append(
            f"été {'plus' if summer > 0 else 'moins'} consommateur "
            f"({_times(means['summer'])}, contre {_times(overall['summer'])})"
        )
    return "; ".join(parts).capitalize() if parts else "Profil proche de la moyenne des régions"


def _times(value: float) -> str:
    return f"×{value:.2f}".replace(".", ",")


def dbscan_noise(
    clusters: pd.DataFrame, profiles: pd.DataFrame, eps: float, min_samples: int
) -> pd.DataFrame:
    """Why each DBSCAN noise region (``cluster == -1``) is noise: the distance from its profile
    to the nearest other region's (the space DBSCAN worked in) against ``eps``.

    DBSCAN groups a region only when at least ``min_samples`` profiles (itself included) lie
    within ``eps`` of it, or when it lies within ``eps`` of such a region.
    """
    data = profiles.assign(region_code=profiles["region_code"].astype(str)).set_index("region_code")
    values = data[list(PROFILE_COLUMNS)].astype(float)
    names = data["region"].astype(str)
    noise = clusters[clusters["cluster"].astype(int) == -1]
    rows = []
    for code in noise["region_code"].astype(str):
        if code not in values.index:
            continue
        distances = np.sqrt(((values - values.loc[code]) ** 2).sum(axis=1)).drop(code)
        nearest = distances.idxmin()
        within = int((distances <= eps).sum()) + 1
        rows.append(
            {
                "region_code": code,
                "region": names[code],
                "nearest_region": names[nearest],
                "nearest_distance": float(distances[nearest]),
                "eps": eps,
                "neighbours_within_eps": within,
                "min_samples": min_samples,
            }
        )
    return pd.DataFrame(rows)


# ------------------------------------------------------------------------------ data quality


def quality_by_region(meteo: pd.DataFrame) -> pd.DataFrame:
    """Per region: days indexed, incomplete days, days with gas imputed for a missing operator,
    days without gas / electricity, interpolated temperatures, first and last day."""
    frame = meteo.assign(region_code=meteo["region_code"].astype(str))

    def count(column: str) -> pd.Series:
        if column not in frame.columns:
            return pd.Series(0, index=frame.index)
        return frame[column].astype("boolean").fillna(False).astype(int)

    def missing(column: str) -> pd.Series:
        if column not in frame.columns:
            return pd.Series(1, index=frame.index)
        return frame[column].isna().astype(int)

    parts = pd.DataFrame(
        {
            "region_code": frame["region_code"],
            "region": frame["region"].astype(str),
            "day": pd.to_datetime(frame["day"]),
            "days": 1,
            "incomplete_days": 1 - count("is_complete"),
            "gas_imputed_days": count("gas_imputed"),
            "gas_missing_days": missing("gas_consumption_mwh"),
            "electricity_missing_days": missing("electricity_consumption_mwh"),
            "temperature_interpolated_days": count("temp_interpolated"),
        }
    )
    grouped = parts.groupby(["region_code", "region"], sort=True)
    summary = grouped[
        [
            "days",
            "incomplete_days",
            "gas_imputed_days",
            "gas_missing_days",
            "electricity_missing_days",
            "temperature_interpolated_days",
        ]
    ].sum()
    summary["first_day"] = grouped["day"].min()
    summary["last_day"] = grouped["day"].max()
    return summary.reset_index()


def quarantine_by_source(quarantine: pd.DataFrame) -> pd.DataFrame:
    """Quarantined rows per ``source`` and ``reason`` (most first), with the last time."""
    if quarantine.empty:
        return pd.DataFrame(columns=["source", "reason", "rows", "last_quarantined_at"])
    grouped = quarantine.groupby(["source", "reason"], dropna=False)
    return (
        grouped.agg(rows=("reason", "size"), last_quarantined_at=("quarantined_at", "max"))
        .reset_index()
        .sort_values("rows", ascending=False)
        .reset_index(drop=True)
    )


CHECK_LABELS: dict[str, str] = {
    "rows": "Lignes de l'index",
    "incomplete_days": "Jours incomplets",
    "missing_days": "Jours manquants",
    "gas_missing_operator": "Opérateur gaz manquant (imputé)",
    "gas_partial_or_zero_rows": "Jours de gaz partiels ou nuls",
    "gas_duplicated_rows": "Lignes gaz en double",
    "gas_unknown_region": "Gaz : région inconnue",
    "gas_operators_differ_from_reference": "Opérateurs gaz différents de la référence",
    "electricity_partial_day": "Jours d'électricité partiels",
    "electricity_duplicated_half_hours": "Demi-heures d'électricité en double",
    "electricity_unknown_region": "Électricité : région inconnue",
    "consumption_without_weather": "Consommation sans météo",
    "consumption_without_temperature": "Consommation sans température",
    "weather_without_consumption": "Météo sans consommation",
    "temperature_interpolated": "Températures interpolées",
    "temperature_from_historique": "Températures tirées de la météo historique",
    "weather_regional_duplicated_days": "Météo régionale : jours en double",
    "weather_regional_unknown_region": "Météo régionale : région inconnue",
    "weather_historique_old_regions_aggregated": "Météo historique : anciennes régions agrégées",
    "weather_historique_unknown_region": "Météo historique : région inconnue",
    "days_outside_school_calendar": "Jours hors calendrier scolaire",
    "strike_days_without_consumption": "Jours de grève sans consommation",
    "strike_end_before_start": "Grèves finissant avant leur début",
    "strike_without_start_date": "Grèves sans date de début",
    "years_without_public_holidays": "Années sans jour férié",
    "definitive_shortages_excluded": "Ruptures définitives exclues",
    "prices_out_of_range": "Prix hors plage",
    "prices_without_station": "Prix sans station",
    "stations_without_department": "Stations sans département",
    "national_duplicated_instants": "France : instants en double",
    "national_rows_flagged_ignore": "France : lignes marquées à ignorer par la source",
    "national_electricity_incomplete_days": "France : jours d'électricité incomplets",
    "national_gas_incomplete_days": "France : jours de gaz incomplets",
    "national_days_without_temperature": "France : jours sans température",
    "forecast_unknown_region": "Prévisions météo : région inconnue",
    "forecast_duplicated_keys": "Prévisions météo : lignes en double",
    "national_forecast_below_min_weight_share": (
        "Prévisions météo France : trop peu de régions couvertes"
    ),
}


def fusion_checks(quality: pd.DataFrame) -> pd.DataFrame:
    """``fusion_data_quality`` with each check's French name, rows affected and rule."""
    import json

    def detail(value: Any) -> Mapping[str, Any]:
        if isinstance(value, Mapping):
            return value
        try:
            parsed = json.loads(value) if isinstance(value, str) and value else {}
        except ValueError:
            return {}
        return parsed if isinstance(parsed, Mapping) else {}

    details = [detail(v) for v in quality.get("detail", pd.Series([None] * len(quality)))]
    return pd.DataFrame(
        {
            "index": quality["index"].astype(str),
            "check": [
                CHECK_LABELS.get(str(c), str(c).replace("_", " ").capitalize())
                for c in quality["check"]
            ],
            "rows_in": pd.to_numeric(quality["rows_in"], errors="coerce"),
            "rows_out": pd.to_numeric(quality["rows_out"], errors="coerce"),
            "unmatched_keys": pd.to_numeric(quality["unmatched_keys"], errors="coerce"),
            "affected": [
                d.get("rows") if isinstance(d.get("rows"), int | float) else None for d in details
            ],
            "covered": [_covered_days(d) for d in details],
        }
    )


def _covered_days(detail: Mapping[str, Any]) -> str | None:
    """The days a check counted: the whole history, or those from the first day an
    incremental fusion run recomputed (``detail.since``); ``None`` for a check written before
    the fusion recorded it."""
    since = pd.to_datetime(str(detail.get("since") or ""), errors="coerce")
    if pd.notna(since):
        return f"depuis le {since:%d/%m/%Y} (exécution incrémentale)"
    return "tout l'historique" if detail.get("scope") == "whole history" else None


# ------------------------------------------------------------------------------------- fuel


def regional_fuel_prices(prices: pd.DataFrame) -> pd.DataFrame:
    """Daily price per region and fuel: the departments' median prices weighted by their
    station counts (``price_median_eur_l``), the stations and shortages summed."""
    frame = prices.assign(
        region_code=prices["region_code"].astype(str),
        day=pd.to_datetime(prices["day"]).dt.normalize(),
        weight=pd.to_numeric(prices["station_count"], errors="coerce").fillna(0).clip(lower=1),
        price=pd.to_numeric(prices["price_median_eur_l"], errors="coerce"),
    ).dropna(subset=["price"])
    frame["weighted"] = frame["price"] * frame["weight"]
    grouped = frame.groupby(["day", "region_code", "region", "fuel"], sort=True)
    out = grouped.agg(
        weighted=("weighted", "sum"),
        weight=("weight", "sum"),
        price_min_eur_l=("price_min_eur_l", "min"),
        price_max_eur_l=("price_max_eur_l", "max"),
        station_count=("station_count", "sum"),
        shortage_count=("shortage_count", "sum"),
    )
    out["price_median_eur_l"] = out["weighted"] / out["weight"]
    return out.drop(columns=["weighted", "weight"]).reset_index()


def latest_per_group(frame: pd.DataFrame, group: Sequence[str]) -> pd.DataFrame:
    """The row of the newest ``day`` of each group."""
    ordered = frame.sort_values("day")
    return ordered.groupby(list(group), sort=True).tail(1).reset_index(drop=True)
