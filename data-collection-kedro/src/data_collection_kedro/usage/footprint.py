"""Energy and emissions of model usage (inference): pure functions on frames.

Per profile and day::

    inference_time_s = requests × seconds_per_request
    energy_kwh       = requests × it_energy_per_request_kwh × PUE
    emissions_gco2e  = energy_kwh × carbon_intensity_gco2e_per_kwh

External profile (hardware + throughput)::

    seconds_per_request       = mean_input_tokens / input_tokens_per_s
                                + mean_output_tokens / output_tokens_per_s   (or 1 / requests_per_s)
    it_energy_per_request_kwh = hardware_power_w × utilisation × seconds_per_request
                                / concurrency / 3.6e6

Measured profile (one of EnergieWatch's models): ``it_energy_per_request_kwh`` = the carbon
hook's energy of the model's inference node (latest measured run) / ``predictions_per_run``;
the profile's fallback figure until a measurement exists.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from data_collection_kedro.carbon.files import MEASURED
from data_collection_kedro.carbon.summary.i18n import Text, text, tr
from data_collection_kedro.usage.config import (
    ExternalProfile,
    MeasuredModel,
    MeasuredProfile,
    Region,
    UsageConfig,
)

JOULES_PER_KWH = 3.6e6
FORMULA = (
    "inference_time_s = requests × seconds_per_request; "
    "energy_kwh = requests × it_energy_per_request_kwh × PUE; "
    "emissions_gco2e = energy_kwh × carbon_intensity_gco2e_per_kwh; "
    "external profile: seconds_per_request = mean_input_tokens / input_tokens_per_s + "
    "mean_output_tokens / output_tokens_per_s (or 1 / requests_per_s), "
    "it_energy_per_request_kwh = hardware_power_w × utilisation × seconds_per_request / "
    "concurrency / 3.6e6; measured profile: it_energy_per_request_kwh = energy_kwh of the "
    "inference node (carbon hook) / predictions_per_run"
)
GENERAL_ASSUMPTIONS = [
    "energy_kwh is facility energy: IT energy × the region's PUE",
    "emissions are operational (electricity) only: no embodied emissions of the hardware",
    "measured profiles: the carbon hook measures IT energy of the machine running the node "
    "(its own PUE setting should stay 1.0 to avoid counting the overhead twice)",
    "external profiles: mean_input_tokens / mean_output_tokens of a row override the profile's",
    "an inference is one request (one prediction) of the analytics file",
]
PER_DAY_COLUMNS = [
    "day",
    "profile",
    "requests",
    "inference_time_s",
    "it_energy_kwh",
    "energy_kwh",
    "emissions_gco2e",
]
PER_PROFILE_COLUMNS = [
    "profile",
    "kind",
    "total_inferences",
    "inference_time_s",
    "energy_kwh",
    "emissions_gco2e",
    "energy_per_inference_kwh",
    "basis",
]


@dataclass(frozen=True)
class MeasuredRate:
    """Per-prediction figures of a measured model and where they come from."""

    it_kwh_per_prediction: float
    seconds_per_prediction: float | None
    basis_text: Text  # where the figures come from, in each language of the reports
    intensity_gco2e_per_kwh: float | None = None  # the grid intensity the hook used

    @property
    def basis(self) -> str:
        return tr(self.basis_text, "en")


def latest_node_measurement(
    node_emissions: pd.DataFrame | None, node: str
) -> dict[str, Any] | None:
    """The latest successful, measured row of ``node`` in ``emissions_nodes.csv`` rows."""
    if node_emissions is None or node_emissions.empty or "node" not in node_emissions:
        return None
    rows = node_emissions[node_emissions["node"] == node]
    if "status" in rows:
        rows = rows[rows["status"].astype("str") == "ok"]
    if "measurement" in rows:
        rows = rows[rows["measurement"].astype("str").isin(sorted(MEASURED))]
    rows = rows[pd.to_numeric(rows["energy_kwh"], errors="coerce").notna()]
    if rows.empty:
        return None
    if "started_at" in rows:
        order = pd.to_datetime(rows["started_at"], errors="coerce", utc=True)
        rows = rows.assign(_order=order).sort_values("_order", na_position="first")
    return dict(rows.iloc[-1])


def measured_rate(
    model: MeasuredModel,
    node_emissions: pd.DataFrame | None,
    profile: MeasuredProfile | None = None,
) -> MeasuredRate | None:
    """Energy per prediction of a measured model (measurement first, then fallback)."""
    row = latest_node_measurement(node_emissions, model.inference_node)
    if row is not None:
        energy = float(row["energy_kwh"])
        duration = pd.to_numeric(pd.Series([row.get("duration_s")]), errors="coerce").iloc[0]
        emissions = pd.to_numeric(pd.Series([row.get("emissions_kg")]), errors="coerce").iloc[0]
        intensity = emissions * 1000 / energy if energy > 0 and pd.notna(emissions) else None
        return MeasuredRate(
            it_kwh_per_prediction=energy / model.predictions_per_run,
            seconds_per_prediction=(
                float(duration) / model.predictions_per_run if pd.notna(duration) else None
            ),
            basis_text=text(
                f"measured: node {model.inference_node} run {row.get('run_id', '?')} "
                f"({row.get('measurement', '?')}), {energy:.6g} kWh / "
                f"{model.predictions_per_run} predictions",
                f"mesuré : nœud {model.inference_node}, exécution {row.get('run_id', '?')} "
                f"({row.get('measurement', '?')}), {energy:.6g} kWh / "
                f"{model.predictions_per_run} prédictions",
            ),
            intensity_gco2e_per_kwh=intensity,
        )
    if profile is not None and profile.fallback_energy_per_prediction_kwh is not None:
        return MeasuredRate(
            it_kwh_per_prediction=profile.fallback_energy_per_prediction_kwh,
            seconds_per_prediction=profile.fallback_seconds_per_prediction,
            basis_text=text(
                f"fallback (no carbon-hook measurement of node {model.inference_node} yet): "
                f"{profile.fallback_energy_per_prediction_kwh:.6g} kWh per prediction",
                f"valeur par défaut (pas encore de mesure du nœud {model.inference_node} par le "
                f"hook carbone) : {profile.fallback_energy_per_prediction_kwh:.6g} kWh par "
                "prédiction",
            ),
        )
    return None


def external_seconds_per_request(
    profile: ExternalProfile, mean_input_tokens: pd.Series, mean_output_tokens: pd.Series
) -> pd.Series:
    """Seconds per request of an external profile (row sizes override the profile's means)."""
    if not profile.token_based:
        assert profile.requests_per_s is not None
        return pd.Series(1.0 / profile.requests_per_s, index=mean_input_tokens.index)
    tokens_in = mean_input_tokens.fillna(profile.mean_input_tokens)
    tokens_out = mean_output_tokens.fillna(profile.mean_output_tokens)
    seconds = pd.Series(0.0, index=mean_input_tokens.index)
    if profile.input_tokens_per_s:
        seconds = seconds + tokens_in / profile.input_tokens_per_s
    if profile.output_tokens_per_s:
        seconds = seconds + tokens_out / profile.output_tokens_per_s
    return seconds


def external_assumptions(profile: ExternalProfile) -> dict[str, Any]:
    keys: tuple[str, ...] = (
        "hardware_power_w",
        "utilisation",
        "concurrency",
        "requests_per_s",
        "input_tokens_per_s",
        "output_tokens_per_s",
        "mean_input_tokens",
        "mean_output_tokens",
    )
    values = profile.model_dump()
    if not profile.token_based:
        keys = keys[:4]
    return {k: values[k] for k in keys if values[k] is not None}


@dataclass
class UsageEstimate:
    """Result of :func:`estimate`: per day, per profile, and what it rests on."""

    region: str
    region_parameters: Region
    per_day: pd.DataFrame
    per_profile: pd.DataFrame
    assumptions: dict[str, dict[str, Any]] = field(default_factory=dict)
    formula: str = FORMULA
    measurements: str = ""  # which carbon-hook measurements the measured profiles used

    def totals(self) -> dict[str, float]:
        return {
            "total_inferences": int(self.per_profile["total_inferences"].sum()),
            "inference_time_s": float(self.per_profile["inference_time_s"].sum()),
            "energy_kwh": float(self.per_profile["energy_kwh"].sum()),
            "emissions_gco2e": float(self.per_profile["emissions_gco2e"].sum()),
        }

    def to_dict(self, per_day: bool = False) -> dict[str, Any]:
        """JSON-ready result (numbers as floats, days ISO)."""
        profiles = []
        for rec in self.per_profile.to_dict("records"):
            rec = {k: _json_number(v) for k, v in rec.items()}
            rec["assumptions"] = self.assumptions.get(rec["profile"], {})
            profiles.append(rec)
        out: dict[str, Any] = {
            "region": self.region,
            "region_parameters": self.region_parameters.model_dump(exclude_none=True),
            "formula": self.formula,
            "assumptions": GENERAL_ASSUMPTIONS,
            "profiles": profiles,
            "totals": self.totals(),
        }
        if self.measurements:
            out["measurements"] = self.measurements
        if per_day:
            days = self.per_day.assign(day=self.per_day["day"].map(lambda d: d.isoformat()))
            out["per_day"] = [
                {k: _json_number(v) for k, v in rec.items()} for rec in days.to_dict("records")
            ]
        return out


def _json_number(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if hasattr(value, "item"):  # numpy scalar
        return _json_number(value.item())
    return value


def estimate(
    analytics: pd.DataFrame,
    config: UsageConfig,
    region: str | None = None,
    node_emissions: pd.DataFrame | None = None,
) -> UsageEstimate:
    """Energy and emissions of validated analytics (see :mod:`.analytics`) in ``region``.

    Raises:
        KeyError: unknown region (the message lists the known ones).
        ValueError: a measured profile without a measurement nor a fallback figure.
    """
    region_name, reg = config.region(region)
    pieces: list[pd.DataFrame] = []
    assumptions: dict[str, dict[str, Any]] = {}
    bases: dict[str, str] = {}
    for profile_name, rows in analytics.groupby("profile", sort=True):
        name = str(profile_name)
        profile = config.profiles[name]
        part = rows[["day", "profile", "requests"]].copy()
        requests = rows["requests"].astype("float64")
        if isinstance(profile, ExternalProfile):
            seconds = external_seconds_per_request(
                profile, rows["mean_input_tokens"], rows["mean_output_tokens"]
            )
            kwh_per_request = (
                profile.hardware_power_w
                * profile.utilisation
                * seconds
                / profile.concurrency
                / JOULES_PER_KWH
            )
            part["inference_time_s"] = requests * seconds
            part["it_energy_kwh"] = requests * kwh_per_request
            assumptions[name] = external_assumptions(profile)
            bases[name] = "hardware power × utilisation × time per request / concurrency"
        else:
            rate = measured_rate(config.measured_models[profile.model], node_emissions, profile)
            if rate is None:
                raise ValueError(
                    f"profile {name!r}: no carbon-hook measurement of model {profile.model!r} "
                    "and no fallback_energy_per_prediction_kwh in the configuration"
                )
            part["inference_time_s"] = (
                requests * rate.seconds_per_prediction
                if rate.seconds_per_prediction is not None
                else math.nan
            )
            part["it_energy_kwh"] = requests * rate.it_kwh_per_prediction
            assumptions[name] = {
                "model": profile.model,
                "it_energy_per_prediction_kwh": rate.it_kwh_per_prediction,
                "seconds_per_prediction": rate.seconds_per_prediction,
            }
            bases[name] = rate.basis
        part["energy_kwh"] = part["it_energy_kwh"] * reg.pue
        part["emissions_gco2e"] = part["energy_kwh"] * reg.carbon_intensity_gco2e_per_kwh
        pieces.append(part)
    per_day = (
        pd.concat(pieces, ignore_index=True)
        .groupby(["day", "profile"], as_index=False, sort=True)
        .sum(min_count=1)[PER_DAY_COLUMNS]
    )
    per_profile = per_day.groupby("profile", as_index=False, sort=True).agg(
        total_inferences=("requests", "sum"),
        inference_time_s=("inference_time_s", lambda s: s.sum(min_count=1)),
        energy_kwh=("energy_kwh", "sum"),
        emissions_gco2e=("emissions_gco2e", "sum"),
    )
    per_profile["kind"] = per_profile["profile"].map(lambda p: config.profiles[p].kind)
    per_profile["energy_per_inference_kwh"] = per_profile["energy_kwh"] / per_profile[
        "total_inferences"
    ].where(per_profile["total_inferences"] > 0)
    per_profile["basis"] = per_profile["profile"].map(bases)
    return UsageEstimate(
        region=region_name,
        region_parameters=reg,
        per_day=per_day.reset_index(drop=True),
        per_profile=per_profile[PER_PROFILE_COLUMNS],
        assumptions=assumptions,
    )
