"""Outputs of the carbon summary: terminal text, Markdown, JSON and PNG charts, in English or
French (``lang``). Figures are shown in the unit their size calls for (:mod:`.units`); the JSON
keeps raw numbers in the units their keys name (``energy_kwh``, ``emissions_kg``)."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, NamedTuple

import pandas as pd

from data_collection_kedro.carbon import files
from data_collection_kedro.carbon.summary import units
from data_collection_kedro.carbon.summary.compute import CarbonSummary
from data_collection_kedro.carbon.summary.i18n import label, text, tr
from data_collection_kedro.carbon.summary.tradeoff import (
    BASELINE,
    FITTED_IN_NODE,
    MODEL,
    UPPER_BOUND,
)

Table = tuple[list[str], list[list[str]]]
Content = list[str] | Table | str


class Section(NamedTuple):
    key: str  # stable name (``per_phase``), whatever the language
    title: str
    content: Content


MEASUREMENT_NOTES = {
    files.MEASUREMENT_RAPL: text(
        "CPU energy read from the processor's RAPL counters: a measurement of the CPU package "
        "(typically within 10-15 % of a wall-plug meter for the CPU part); RAM is an estimate.",
        "Énergie CPU lue dans les compteurs RAPL du processeur : une mesure du processeur "
        "(souvent à 10-15 % d'un wattmètre pour la partie CPU) ; la RAM est une estimation.",
    ),
    files.MEASUREMENT_CPU_LOAD: text(
        "No energy counters (typical of a VM): CPU power estimated from the CPU model's TDP "
        "scaled by the measured CPU load. An estimate (range shown: ×0.6 to ×1.5); it follows "
        "the workload, not the real hardware.",
        "Pas de compteurs d'énergie (cas d'une VM) : puissance CPU estimée d'après le TDP du "
        "modèle de processeur et la charge CPU mesurée. Une estimation (fourchette indiquée : "
        "×0,6 à ×1,5) ; elle suit la charge, pas le matériel réel.",
    ),
    files.MEASUREMENT_TDP: text(
        "CPU power taken as a constant share of the CPU model's TDP whatever the load: an order "
        "of magnitude (range shown: ×0.5 to ×2).",
        "Puissance CPU prise comme une part constante du TDP du processeur quelle que soit la "
        "charge : un ordre de grandeur (fourchette indiquée : ×0,5 à ×2).",
    ),
    files.MEASUREMENT_CONSTANT: text(
        "CPU model unknown to CodeCarbon: a generic constant power per core; an order of "
        "magnitude (range shown: ×0.5 to ×2). Set carbon.force_cpu_power when the TDP is known.",
        "Modèle de processeur inconnu de CodeCarbon : une puissance constante générique par "
        "cœur ; un ordre de grandeur (fourchette : ×0,5 à ×2). Renseigner "
        "carbon.force_cpu_power si le TDP est connu.",
    ),
}
RAM_NOTE = text(
    "RAM accounts for {share} of the measured energy. CodeCarbon does not measure RAM: it "
    "estimates it from the installed memory, a near-constant power. On a VM this constant "
    "dominates, so the totals mostly reflect duration × installed memory; the marginal figure "
    "(energy above the idle draw measured at the tracker's start) follows the work done.",
    "La RAM représente {share} de l'énergie mesurée. CodeCarbon ne mesure pas la RAM : il "
    "l'estime d'après la mémoire installée, une puissance presque constante. Sur une VM cette "
    "constante domine : les totaux reflètent surtout durée × mémoire installée ; la valeur "
    "marginale (énergie au-dessus de la consommation au repos mesurée au démarrage du suivi) "
    "suit le travail effectué.",
)
WHICH_APPLIES = text(
    "The totals use CodeCarbon's annual figure ({annual}, {source}): a life-cycle average of "
    "the country's electricity, the figure CodeCarbon and ADEME-based footprints use, so it is "
    "the one to report and compare. The run-time figure uses RTE eco2mix's `Taux de CO2` of "
    "the quarter-hours each node ran in: direct emissions of the electricity generated in "
    "France (no life-cycle, no imports): lower than the life-cycle figure over a year, higher "
    "on winter evenings; it says when running is cleaner and drives the carbon-aware start, it "
    "is not the footprint to report.",
    "Les totaux utilisent la valeur annuelle de CodeCarbon ({annual}, {source}) : une moyenne "
    "en cycle de vie de l'électricité du pays, celle qu'utilisent CodeCarbon et les bilans "
    "fondés sur l'ADEME ; c'est elle qu'il faut déclarer et comparer. La valeur au moment "
    "utilise le `Taux de CO2` d'eco2mix (RTE) des quarts d'heure où chaque nœud a tourné : "
    "émissions directes de la production d'électricité en France (hors cycle de vie, hors "
    "importations) : plus basse que la valeur en cycle de vie sur l'année, plus haute les soirs "
    "d'hiver ; elle dit quand il vaut mieux exécuter et guide le démarrage bas carbone, ce "
    "n'est pas l'empreinte à déclarer.",
)


def _t(key: str, lang: str) -> str:
    return label(key, lang)


def _phase(name: Any, lang: str) -> str:
    return _t(str(name), lang)


def _table(
    frame: pd.DataFrame | None, columns: list[tuple[str, str, Callable[[Any], str]]], lang: str
) -> Table:
    """``columns``: (label key, frame column, formatter)."""
    headers = [_t(key, lang) for key, _, _ in columns]
    if frame is None or frame.empty:
        return headers, []
    rows = [
        [fmt(row.get(column)) for _, column, fmt in columns]
        for row in frame.to_dict(orient="records")
    ]
    return headers, rows


def _breakdown(frame: pd.DataFrame, first: list[tuple[str, str, Callable[[Any], str]]],
               summary: CarbonSummary, lang: str) -> Table:  # fmt: skip
    columns = [
        *first,
        ("node_runs", "node_runs", lambda v: units.count(v, lang)),
        ("duration", "duration_s", lambda v: units.duration(v, lang)),
        ("energy", "energy_kwh", lambda v: units.energy(v, lang)),
        ("marginal", "marginal_energy_kwh", lambda v: units.energy(v, lang)),
        ("co2e_annual", "emissions_kg", lambda v: units.mass(v, lang)),
        ("co2e_runtime", "runtime_emissions_kg", lambda v: units.mass(v, lang)),
        ("cost", "cost_eur", lambda v: units.money(v, lang)),
        ("share", "share", lambda v: units.share(v, lang)),
    ]
    headers, rows = _table(frame, columns, lang)
    if rows:
        total = summary.totals
        rows.append(
            [f"**{_t('total_row', lang)}**", *([""] * (len(first) - 1))]
            + [
                str(total["node_runs"]),
                units.duration(total["duration_s"], lang),
                units.energy(total["energy_kwh"], lang),
                units.energy(total["marginal_energy_kwh"], lang),
                units.mass(total["emissions_kg"], lang),
                units.mass(total["runtime_emissions_kg"], lang),
                units.money(total["cost_eur"], lang),
                "100 %",
            ]
        )
    return headers, rows


def _totals_lines(summary: CarbonSummary, lang: str) -> list[str]:
    t = summary.totals
    fr = lang == "fr"
    methods = ", ".join(t["methods"]) or "–"
    band = f"{units.energy(t['energy_low_kwh'], lang)}–{units.energy(t['energy_high_kwh'], lang)}"
    band_kg = (
        f"{units.mass(t['emissions_low_kg'], lang)}–{units.mass(t['emissions_high_kg'], lang)}"
    )
    intensity = summary.intensity
    lines = [
        (
            f"Énergie : **{units.energy(t['energy_kwh'], lang)}** (fourchette {band}, méthode "
            f"{methods} ; voir « {_t('method', lang)} »)"
            if fr
            else f"Energy: **{units.energy(t['energy_kwh'], lang)}** (range {band}, method "
            f'{methods}; see "{_t("method", lang)}")'
        ),
        (
            f"dont au-dessus de la consommation au repos ({units.power(t['idle_power_w'], lang)}"
            f" mesurés au démarrage du suivi) : **{units.energy(t['marginal_energy_kwh'], lang)}**"
            f" ({units.share(_ratio(t['marginal_energy_kwh'], t['energy_kwh']), lang)})"
            if fr
            else f"of which above the idle draw ({units.power(t['idle_power_w'], lang)} measured "
            f"at the tracker's start): **{units.energy(t['marginal_energy_kwh'], lang)}** "
            f"({units.share(_ratio(t['marginal_energy_kwh'], t['energy_kwh']), lang)})"
        ),
        (
            f"CO₂e (valeur annuelle du réseau, {units.intensity(intensity.get('annual_g_per_kwh'), lang)}) :"
            f" **{units.mass(t['emissions_kg'], lang)}** (fourchette {band_kg}) ; au-dessus du "
            f"repos : {units.mass(t['marginal_emissions_kg'], lang)}"
            if fr
            else f"CO₂e (annual grid figure, {units.intensity(intensity.get('annual_g_per_kwh'), lang)}):"
            f" **{units.mass(t['emissions_kg'], lang)}** (range {band_kg}); above idle: "
            f"{units.mass(t['marginal_emissions_kg'], lang)}"
        ),
    ]
    if intensity.get("available"):
        lines.append(
            f"CO₂e au moment des exécutions (eco2mix, "
            f"{units.intensity(intensity.get('runtime_g_per_kwh'), lang)}) : "
            f"**{units.mass(intensity.get('runtime_emissions_kg'), lang)}** "
            f"({units.signed_share(intensity.get('difference_share'), lang)} par rapport à la "
            "valeur annuelle)"
            if fr
            else "CO₂e at run time (eco2mix, "
            f"{units.intensity(intensity.get('runtime_g_per_kwh'), lang)}): "
            f"**{units.mass(intensity.get('runtime_emissions_kg'), lang)}** "
            f"({units.signed_share(intensity.get('difference_share'), lang)} against the "
            "annual figure)"
        )
    lines.append(
        f"Durée mesurée : {units.duration(t['duration_s'], lang)} ; {t['node_runs']} exécutions "
        f"de nœuds dans {t['runs']} exécution(s) ; puissance moyenne "
        f"{units.power(t['implied_power_w'], lang)}"
        if fr
        else f"Measured duration: {units.duration(t['duration_s'], lang)}; {t['node_runs']} node "
        f"runs in {t['runs']} run(s); average power {units.power(t['implied_power_w'], lang)}"
    )
    c, cfg = summary.costs, summary.config
    lines.append(
        f"Coûts : électricité {units.money(c['electricity_eur'], lang)} "
        f"({units.plain(cfg.electricity_eur_per_kwh, lang)} €/kWh), instance cloud "
        f"{units.money(c['cloud_instance_eur'], lang)} "
        f"({units.plain(cfg.cloud_instance_eur_per_hour, lang)} €/h), prix interne du carbone "
        f"{units.money(c['internal_carbon_eur'], lang)} "
        f"({units.plain(cfg.internal_carbon_price_eur_per_t, lang)} €/t)"
        if fr
        else f"Costs: electricity {units.money(c['electricity_eur'], lang)} "
        f"({units.plain(cfg.electricity_eur_per_kwh, lang)} €/kWh), cloud instance "
        f"{units.money(c['cloud_instance_eur'], lang)} "
        f"({units.plain(cfg.cloud_instance_eur_per_hour, lang)} €/h), internal carbon price "
        f"{units.money(c['internal_carbon_eur'], lang)} "
        f"({units.plain(cfg.internal_carbon_price_eur_per_t, lang)} €/t)"
    )
    return lines


def _ratio(a: Any, b: Any) -> float:
    try:
        return float(a) / float(b) if float(b) else math.nan
    except (TypeError, ValueError):
        return math.nan


def _intensity_lines(summary: CarbonSummary, lang: str) -> list[str]:
    section = summary.intensity
    fr = lang == "fr"
    annual = units.intensity(section.get("annual_g_per_kwh"), lang)
    lines = [
        (f"Valeur annuelle (CodeCarbon) : {annual} — {section.get('annual_source')} ; CO₂e "
         f"{units.mass(section.get('annual_emissions_kg'), lang)}")
        if fr
        else (f"Annual figure (CodeCarbon): {annual} — {section.get('annual_source')}; CO₂e "
              f"{units.mass(section.get('annual_emissions_kg'), lang)}"),
    ]  # fmt: skip
    if not section.get("available"):
        lines.append(
            "Valeur au moment : aucune intensité eco2mix dans le stock (raw_grid_carbon_intensity"
            " vide) : lancez l'ingestion `ingest_grid_carbon_intensity`."
            if fr
            else "Run-time figure: no eco2mix intensity in the store (raw_grid_carbon_intensity "
            "is empty): run the `ingest_grid_carbon_intensity` node."
        )
    else:
        runtime = units.intensity(section.get("runtime_g_per_kwh"), lang)
        measured = units.share(section.get("measured_share"), lang)
        first, last = section.get("store_first"), section.get("store_last")
        stored = f"{first:%Y-%m-%d %H:%M} → {last:%Y-%m-%d %H:%M} UTC" if first else "–"
        lines.append(
            f"Valeur au moment (eco2mix, pondérée par l'énergie) : {runtime} ; CO₂e "
            f"{units.mass(section.get('runtime_emissions_kg'), lang)} ; écart "
            f"{units.mass(section.get('difference_kg'), lang)} "
            f"({units.signed_share(section.get('difference_share'), lang)})"
            if fr
            else f"Run-time figure (eco2mix, energy-weighted): {runtime}; CO₂e "
            f"{units.mass(section.get('runtime_emissions_kg'), lang)}; difference "
            f"{units.mass(section.get('difference_kg'), lang)} "
            f"({units.signed_share(section.get('difference_share'), lang)})"
        )
        days = section.get("profile_days")
        lines.append(
            f"Couverture : {measured} de l'énergie tombe dans des quarts d'heure présents dans le "
            f"stock ({stored}) ; le reste prend le profil moyen de la même heure sur les "
            f"{summary.config.intensity_profile_days} jours stockés précédents"
            + (f" ({days[0]} à {days[1]}), estimation signalée par « profile »" if days else "")
            if fr
            else f"Coverage: {measured} of the energy falls in quarter-hours the store holds "
            f"({stored}); the rest takes the mean profile of the same time of day over the "
            f"{summary.config.intensity_profile_days} previous stored days"
            + (f" ({days[0]} to {days[1]}), labelled 'profile'" if days else "")
        )
    lines.append(tr(WHICH_APPLIES, lang).format(annual=annual, source=section.get("annual_source")))
    return lines


def _scheduling(summary: CarbonSummary, lang: str) -> Content:
    if summary.scheduling.empty:
        return [
            "aucune exécution différable (fusion + entraînement) mesurée avec une intensité"
            if lang == "fr"
            else "no deferrable run (fusion + training) measured with an intensity"
        ]
    columns: list[tuple[str, str, Callable[[Any], str]]] = [
        ("run", "run_id", lambda v: str(v)[:8]),
        ("ran_in", "ran_in", str),
        ("started", "started_local", lambda v: f"{v:%Y-%m-%d %H:%M}"),
        ("energy", "energy_kwh", lambda v: units.energy(v, lang)),
        ("runtime_intensity", "runtime_g_per_kwh", lambda v: units.intensity(v, lang)),
        ("co2e_runtime", "runtime_emissions_kg", lambda v: units.mass(v, lang)),
        ("best_hour", "best_hour_local", lambda v: f"{int(v):02d}:00"),
        ("intensity_col", "best_g_per_kwh", lambda v: units.intensity(v, lang)),
        ("co2e_at_best", "best_hour_emissions_kg", lambda v: units.mass(v, lang)),
        ("saving", "saving_share", lambda v: units.share(v, lang)),
        ("basis", "basis", str),
    ]
    return _table(summary.scheduling, columns, lang)


def _projection(summary: CarbonSummary, lang: str) -> list[Section]:
    if summary.projection.empty:
        return []
    fr = lang == "fr"

    def trigger(row: Mapping[Any, Any]) -> str:
        if row["schedule"]:
            return str(row["schedule"])
        dags = str(row["triggered_by"]).replace(", ", " et " if fr else " and ")
        return f"nouvelles données de {dags}" if fr else f"new data from {dags}"

    frame = summary.projection.assign(
        trigger=[trigger(r) for r in summary.projection.to_dict(orient="records")]
    )
    columns: list[tuple[str, str, Callable[[Any], str]]] = [
        ("dag", "dag_id", str),
        ("trigger", "trigger", str),
        ("runs_per_year", "runs_per_year", lambda v: units.count(v, lang)),
        ("energy_per_run", "energy_per_run_kwh", lambda v: units.energy(v, lang)),
        ("energy_per_year", "energy_kwh_per_year", lambda v: units.energy(v, lang)),
        ("co2e_per_year", "emissions_kg_per_year", lambda v: units.mass(v, lang)),
        ("cost_per_year", "cost_eur_per_year", lambda v: units.money(v, lang)),
        ("missing_nodes", "nodes_missing", lambda v: str(v) or "–"),
    ]
    headers, rows = _table(frame, columns, lang)
    p = summary.projection
    rows.append(
        [f"**{_t('total_row', lang)}**", "", ""]
        + ["", units.energy(p["energy_kwh_per_year"].sum(), lang)]
        + [units.mass(p["emissions_kg_per_year"].sum(), lang)]
        + [units.money(p["cost_eur_per_year"].sum(), lang), ""]
    )
    cfg = summary.config
    pue = sorted({float(v) for v in summary.pue["pue"]}) if not summary.pue.empty else []
    assumptions = [
        (
            "exécutions par an : d'après les plannings des DAG (`data_collection_kedro.schedules`,"
            " lus par les DAG) comptés sur l'année 2025 ; le DAG fusion + entraînement au plus "
            "autant que ses déclencheurs les moins fréquents (une exécution par jour)"
            if fr
            else "runs per year: from the DAG schedules (`data_collection_kedro.schedules`, which "
            "the DAGs read) counted over 2025; the fusion + training DAG at most as often as its "
            "least frequent trigger (once a day)"
        ),
        (
            "énergie par exécution : la mesure comptée de chaque nœud du DAG plus sa part de "
            "l'orchestration de son exécution (une tâche Airflow paie son propre démarrage) ; "
            "mesurée sur les données de l'exécution (échantillon hors-ligne par défaut : les "
            "volumes de production changent le résultat)"
            if fr
            else "energy per run: the counted measurement of each node the DAG runs plus its share "
            "of its run's orchestration (an Airflow task pays its own start-up); measured on the "
            "run's data (the offline sample by default: production volumes change the result)"
        ),
        (
            f"prix de l'électricité : {units.plain(cfg.electricity_eur_per_kwh, lang)} €/kWh ; "
            f"réseau : {summary.intensity.get('annual_source')} ; PUE des mesures : "
            f"{', '.join(units.number(v, lang) for v in pue[:1]) or '1'} (salle machine non "
            "comptée au-delà) ; le planificateur et les workers Airflow ne sont pas mesurés"
            if fr
            else f"electricity price: {units.plain(cfg.electricity_eur_per_kwh, lang)} €/kWh; "
            f"grid: {summary.intensity.get('annual_source')}; PUE of the measurements: "
            f"{', '.join(units.number(v, lang) for v in pue[:1]) or '1'} (no machine-room "
            "overhead beyond it); Airflow's scheduler and workers are not measured"
        ),
    ]
    return [
        Section("projection", _t("projection", lang), (headers, rows)),
        Section("assumptions", _t("assumptions", lang), assumptions),
    ]


def _tradeoff(summary: CarbonSummary, lang: str) -> Content:
    table = summary.tradeoff
    if table is None or table.empty:
        return [summary.tradeoff_note or "no model run with both figures"]
    tasks = {t.name: t for t in summary.config.tradeoff_tasks}

    def metric(row: Mapping[Any, Any]) -> str:
        task = tasks.get(row["task"])
        if task is None:
            return units.number(row["value"], lang)
        unit = f" {task.unit}" if task.unit else ""
        arrow = "↑" if task.higher_is_better else "↓"
        return f"{task.label_in(lang)} {arrow}: {units.number(row['value'], lang)}{unit}"

    frame = table.assign(
        metric_text=[metric(r) for r in table.to_dict(orient="records")],
        kind_text=[_kind(str(k), lang) for k in table["kind"]],
    )
    columns: list[tuple[str, str, Callable[[Any], str]]] = [
        ("task", "task", str),
        ("series", "series", lambda v: str(v).replace("_", " ") if v else "–"),
        ("model", "model", str),
        ("kind", "kind_text", str),
        ("metric", "metric_text", str),
        ("training_time", "training_duration_s", lambda v: units.duration(v, lang)),
        ("training_energy", "training_energy_kwh", lambda v: units.energy(v, lang)),
        ("training_co2e", "training_emissions_kg", lambda v: units.mass(v, lang)),
        ("pareto", "pareto", lambda v: _t("yes" if v else "no", lang)),
    ]
    return _table(frame, columns, lang)


def _kind(kind: str, lang: str) -> str:
    if kind == BASELINE:
        return _t("baseline", lang)
    if kind == MODEL:
        return _t("model_kind", lang)
    if kind == UPPER_BOUND:
        return _t("upper_bound", lang)
    if (
        kind.startswith(FITTED_IN_NODE) and lang == "fr"
    ):  # "fitted in another node: X (upper bound)"
        node = kind.removeprefix(FITTED_IN_NODE).strip(": ").removesuffix(" (upper bound)")
        return f"ajusté dans un autre nœud : {node} (borne haute)" if node else "ajusté ailleurs"
    return kind


def _method_lines(summary: CarbonSummary, lang: str) -> list[str]:
    notes = [f"{m}: {tr(MEASUREMENT_NOTES[m], lang)}" for m in summary.totals["methods"]]
    ram = summary.totals.get("ram_share")
    if ram is not None and not math.isnan(ram) and ram > summary.config.ram_dominance_share:
        notes.append(tr(RAM_NOTE, lang).format(share=units.share(ram, lang)))
    return notes or [_t("none", lang)]


def sections(summary: CarbonSummary, lang: str = "en") -> list[Section]:
    """The report's sections, shared by the text and Markdown outputs and the dashboard."""
    since, until = summary.window
    rule = _t("rule_latest" if summary.mode == "latest" else "rule_all", lang)
    if since is not None or until is not None:
        rule += f" ({_t('window', lang)}: {since or '…'} → {until or '…'})"
    phase_cols: list[tuple[str, str, Callable[[Any], str]]] = [
        ("phase", "phase", lambda v: _phase(v, lang))
    ]
    pipeline_cols: list[tuple[str, str, Callable[[Any], str]]] = [("pipeline", "pipeline", str)]
    node_cols: list[tuple[str, str, Callable[[Any], str]]] = [
        ("pipeline", "pipeline", str),
        ("node", "node", str),
        ("phase", "phase", lambda v: _phase(v, lang)),
        ("ran_in", "ran_in", str),
    ]
    out: list[Section] = [
        Section("selection", _t("selection", lang), [rule]),
        Section("totals", _t("totals", lang), _totals_lines(summary, lang)),
        Section(
            "per_phase",
            _t("per_phase", lang),
            _breakdown(summary.phases, phase_cols, summary, lang),
        ),
        Section(
            "per_pipeline",
            _t("per_pipeline", lang),
            _breakdown(summary.pipelines, pipeline_cols, summary, lang),
        ),
        Section(
            "per_node", _t("per_node", lang), _breakdown(summary.nodes, node_cols, summary, lang)
        ),
        Section("intensity", _t("intensity", lang), _intensity_lines(summary, lang)),
        Section("scheduling", _t("scheduling", lang), _scheduling(summary, lang)),
        *_projection(summary, lang),
        Section("tradeoff", _t("tradeoff", lang), _tradeoff(summary, lang)),
        Section("method", _t("method", lang), _method_lines(summary, lang)),
        Section(
            "what_if_grids",
            _t("what_if_grids", lang),
            _table(
                summary.grids,
                [
                    ("grid", "grid", str),
                    ("intensity_col", "g_co2e_per_kwh", lambda v: units.intensity(v, lang)),
                    ("co2e_annual", "emissions_kg", lambda v: units.mass(v, lang)),
                    ("source", "source", str),
                ],
                lang,
            ),
        ),
        Section(
            "what_if_pue",
            _t("what_if_pue", lang),
            _table(
                summary.pue,
                [
                    ("pue", "pue", lambda v: units.number(v, lang)),
                    ("energy", "energy_kwh", lambda v: units.energy(v, lang)),
                    ("co2e_annual", "emissions_kg", lambda v: units.mass(v, lang)),
                ],
                lang,
            ),
        ),
        Section(
            "green_algorithms",
            _t("green_algorithms", lang),
            _table(
                summary.green_algorithms,
                [
                    ("pipeline", "pipeline", str),
                    ("cores", "cores", lambda v: units.number(v, lang)),
                    ("memory_gb", "memory_gb", lambda v: units.number(v, lang)),
                    ("ga_energy", "ga_energy_kwh", lambda v: units.energy(v, lang)),
                    ("cc_energy", "codecarbon_energy_kwh", lambda v: units.energy(v, lang)),
                    ("ratio", "ratio_ga_to_codecarbon", lambda v: units.number(v, lang)),
                ],
                lang,
            ),
        ),
    ]
    if summary.usage is not None and not summary.usage.empty:
        out.append(Section("usage", _t("usage", lang), usage_table(summary.usage, lang)))
    if summary.usage_note:
        out.append(Section("usage_note", _t("usage_note", lang), [summary.usage_note]))
    out.append(
        Section(
            "warnings",
            _t("warnings", lang),
            [tr(w, lang) for w in summary.warnings] or [_t("none", lang)],
        )
    )
    out.append(
        Section(
            "hints",
            _t("hints", lang),
            [
                f"{h['pipeline']}.{h['node']} ({units.share(h['share'], lang)}, "
                f"{_phase(h['phase'], lang)}): {tr(h['levers'], lang)}"
                for h in summary.hints
            ]
            or [_t("none", lang)],
        )
    )
    out.append(
        Section(
            "budgets",
            _t("budgets", lang),
            _table(
                pd.DataFrame(summary.budgets),
                [
                    ("pipeline", "pipeline", str),
                    ("run", "run_id", lambda v: str(v)[:8]),
                    ("co2e_annual", "emissions_kg", lambda v: units.mass(v, lang)),
                    ("budget", "budget_kg", lambda v: units.mass(v, lang)),
                    ("exceeded", "exceeded", lambda v: _t("yes" if v else "no", lang)),
                ],
                lang,
            ),
        )
    )
    return out


def usage_table(usage: pd.DataFrame, lang: str) -> Table:
    """The usage section (``usage.report.build_usage_section``) as people read it: energy and
    CO₂e in readable units, the break-even as a count (the report and the dashboard)."""
    return _table(
        usage,
        [
            ("model", "model", str),
            ("predictions", "predictions", lambda v: units.count(v, lang)),
            ("energy_per_prediction", "energy_per_prediction_kwh", lambda v: units.energy(v, lang)),
            ("inference_energy", "inference_kwh", lambda v: units.energy(v, lang)),
            ("inference_co2e", "inference_gco2e", lambda v: units.mass(_kg(v), lang)),
            ("training_energy", "training_kwh", lambda v: units.energy(v, lang)),
            ("training_co2e", "training_gco2e", lambda v: units.mass(_kg(v), lang)),
            ("break_even", "break_even_predictions", lambda v: units.count(v, lang)),
            ("usage_basis", "basis", lambda v: "–" if v is None or v != v else str(v)),
        ],
        lang,
    )


def _kg(grams: Any) -> Any:
    return None if grams is None or grams != grams else float(grams) / 1000


def _plain_table(frame: pd.DataFrame, lang: str) -> Table:
    def cell(value: Any) -> str:
        if isinstance(value, bool):
            return _t("yes" if value else "no", lang)
        if isinstance(value, float):
            return units.number(value, lang)
        return str(value)

    return list(frame.columns), [[cell(v) for v in row] for row in frame.itertuples(index=False)]


def _text_lines(content: Content) -> list[str]:
    if isinstance(content, tuple):
        headers, rows = content
        if not rows:
            return ["  (none)"]
        body = [[c.replace("**", "") for c in r] for r in rows]
        widths = [max(len(h), *(len(r[i]) for r in body)) for i, h in enumerate(headers)]
        lines = ["  " + "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))]
        lines.append("  " + "  ".join("-" * w for w in widths))
        lines += [
            "  " + "  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)) for r in body
        ]
        return lines
    if isinstance(content, str):
        return [f"  {content}"]
    return [f"  - {line.replace('**', '')}" for line in content]


def _md_lines(content: Content) -> list[str]:
    if isinstance(content, tuple):
        headers, rows = content
        if not rows:
            return ["_–_"]
        lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
        lines += ["| " + " | ".join(c.replace("|", "\\|") for c in r) + " |" for r in rows]
        return lines
    if isinstance(content, str):
        return [content]
    return [f"- {line}" for line in content]


def to_text(summary: CarbonSummary, lang: str = "en") -> str:
    out = [_t("title", lang), ""]
    for _, title, content in sections(summary, lang):
        out.append(f"== {title}")
        out += _text_lines(content)
        out.append("")
    return "\n".join(out)


def to_markdown(summary: CarbonSummary, lang: str = "en") -> str:
    out = [f"# {_t('title', lang)}", ""]
    for _, title, content in sections(summary, lang):
        out += [f"## {title}", "", *_md_lines(content), ""]
    if summary.charts:
        out += [f"## {_t('charts', lang)}", ""]
        out += [f"![{Path(c).stem}]({Path(c).name})" for c in summary.charts]
        out.append("")
    return "\n".join(out)


def _jsonable(value: Any) -> Any:
    if isinstance(value, pd.DataFrame):
        return [_jsonable(r) for r in value.to_dict(orient="records")]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_jsonable(v) for v in value]
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if isinstance(value, float) and math.isnan(value):
        return None
    if value is pd.NaT:
        return None
    if hasattr(value, "item"):  # numpy scalars
        return _jsonable(value.item())
    return value


def to_json(summary: CarbonSummary, lang: str = "en") -> str:
    payload = {
        "selection": {"mode": summary.mode, "rule": _t(f"rule_{summary.mode}", lang)},
        "window": list(summary.window),
        "totals": summary.totals,
        "phases": summary.phases,
        "pipelines": summary.pipelines,
        "nodes": summary.nodes,
        "intensity": summary.intensity,
        "scheduling": summary.scheduling,
        "projection": summary.projection,
        "costs": summary.costs,
        "assumptions": {
            "electricity_eur_per_kwh": summary.config.electricity_eur_per_kwh,
            "cloud_instance_eur_per_hour": summary.config.cloud_instance_eur_per_hour,
            "internal_carbon_price_eur_per_t": summary.config.internal_carbon_price_eur_per_t,
            "grid": summary.intensity.get("annual_source"),
        },
        "what_if_grids": summary.grids,
        "what_if_pue": summary.pue,
        "green_algorithms": summary.green_algorithms,
        "measurement_notes": _method_lines(summary, lang),
        "tradeoff": summary.tradeoff if summary.tradeoff is not None else [],
        "tradeoff_note": summary.tradeoff_note,
        "usage": summary.usage if summary.usage is not None else [],
        "usage_note": summary.usage_note,
        "warnings": [tr(w, lang) for w in summary.warnings],
        "hints": [{**h, "levers": tr(h["levers"], lang)} for h in summary.hints],
        "budgets": summary.budgets,
        "budget_exceeded": summary.budget_exceeded,
        "charts": [Path(c).name for c in summary.charts],
    }
    return json.dumps(_jsonable(payload), indent=2, ensure_ascii=False)


def write_reports(summary: CarbonSummary, out_dir: Path, lang: str = "en") -> dict[str, Path]:
    from data_collection_kedro.carbon.summary.charts import write_charts

    out_dir.mkdir(parents=True, exist_ok=True)
    summary.charts = write_charts(summary, out_dir, lang)
    paths = {"markdown": out_dir / "carbon_summary.md", "json": out_dir / "carbon_summary.json"}
    paths["markdown"].write_text(to_markdown(summary, lang), encoding="utf-8")
    paths["json"].write_text(to_json(summary, lang), encoding="utf-8")
    return paths
