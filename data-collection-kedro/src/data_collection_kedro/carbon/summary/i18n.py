"""Texts of the carbon report in English and French (``--lang en|fr``).

A :data:`Text` holds both languages; :func:`tr` picks one. Labels of the report's sections,
columns and units live in :data:`LABELS`.
"""

from __future__ import annotations

LANGS = ("en", "fr")
Text = dict[str, str]


def text(en: str, fr: str | None = None) -> Text:
    """Both languages of one text (French defaults to the English text)."""
    return {"en": en, "fr": fr if fr is not None else en}


def tr(value: Text | str, lang: str) -> str:
    if isinstance(value, str):
        return value
    return value.get(lang) or value["en"]


#: section titles, column headers and labels
LABELS: dict[str, Text] = {
    # titles
    "title": text(
        "EnergieWatch: carbon footprint of the pipelines",
        "EnergieWatch : empreinte carbone des pipelines",
    ),
    "selection": text("Selection", "Sélection"),
    "rule_latest": text(
        "each node counted once: its latest measured run in the window (a node measured inside "
        "`make run` and again by an Airflow task counts once, the later run); a run's "
        "orchestration (`__outside_nodes__`: start-up, hooks, scheduling) in proportion to the "
        "share of its node energy counted",
        "chaque nœud compté une fois : sa dernière exécution mesurée dans la période (un nœud "
        "mesuré dans `make run` puis par une tâche Airflow compte une fois, l'exécution la plus "
        "récente) ; l'orchestration d'une exécution (`__outside_nodes__` : démarrage, hooks, "
        "ordonnancement) au prorata de la part de l'énergie de ses nœuds comptée",
    ),
    "rule_all": text(
        "every measured node run in the window, each once, with every run's orchestration",
        "toutes les exécutions de nœuds mesurées dans la période, chacune une fois, avec "
        "l'orchestration de chaque exécution",
    ),
    "window": text("window", "période"),
    "totals": text("Totals", "Totaux"),
    "per_phase": text("Per phase", "Par phase"),
    "per_pipeline": text("Per pipeline", "Par pipeline"),
    "per_node": text("Per node", "Par nœud"),
    "intensity": text(
        "Grid intensity: CodeCarbon's annual figure and the run-time figure",
        "Intensité du réseau : valeur annuelle de CodeCarbon et valeur au moment des exécutions",
    ),
    "scheduling": text(
        "Carbon-aware scheduling: each deferrable run at its day's best hour",
        "Planification bas carbone : chaque exécution différable à la meilleure heure du jour",
    ),
    "projection": text("Yearly projection per Airflow DAG", "Projection annuelle par DAG Airflow"),
    "assumptions": text("Assumptions", "Hypothèses"),
    "tradeoff": text(
        "Models: accuracy × training time × CO₂e (latest run of each model)",
        "Modèles : précision × temps d'entraînement × CO₂e (dernière exécution de chaque modèle)",
    ),
    "method": text("How it was measured", "Méthode de mesure"),
    "costs": text("Costs", "Coûts"),
    "what_if_grids": text(
        "What if: the same energy on other grids", "Et si : la même énergie sur d'autres réseaux"
    ),
    "what_if_pue": text(
        "What if: other PUE values (same IT energy, same grid)",
        "Et si : d'autres PUE (même énergie informatique, même réseau)",
    ),
    "green_algorithms": text(
        "Green Algorithms cross-check (beside CodeCarbon)",
        "Contre-vérification Green Algorithms (à côté de CodeCarbon)",
    ),
    "usage": text("Usage: inference vs training", "Usage : inférence et entraînement"),
    "usage_note": text("Usage note", "Note sur l'usage"),
    "warnings": text("Warnings", "Avertissements"),
    "hints": text("Optimisation hints (by share)", "Pistes d'optimisation (par part)"),
    "budgets": text("Carbon budgets (kg per run)", "Budgets carbone (kg par exécution)"),
    "charts": text("Charts", "Graphiques"),
    "none": text("none", "aucun"),
    # columns
    "phase": text("phase", "phase"),
    "pipeline": text("pipeline", "pipeline"),
    "node": text("node", "nœud"),
    "ran_in": text("measured in", "mesuré dans"),
    "node_runs": text("node runs", "exécutions de nœuds"),
    "runs": text("runs", "exécutions"),
    "duration": text("duration", "durée"),
    "energy": text("energy", "énergie"),
    "marginal": text("above idle", "au-dessus du repos"),
    "co2e_annual": text("CO₂e (annual grid)", "CO₂e (réseau annuel)"),
    "co2e_runtime": text("CO₂e (run time)", "CO₂e (au moment)"),
    "cost": text("electricity", "électricité"),
    "share": text("share", "part"),
    "method_col": text("method", "méthode"),
    "total_row": text("total", "total"),
    "dag": text("DAG", "DAG"),
    "trigger": text("schedule", "déclenchement"),
    "runs_per_year": text("runs / year", "exécutions / an"),
    "energy_per_run": text("energy / run", "énergie / exécution"),
    "energy_per_year": text("energy / year", "énergie / an"),
    "co2e_per_year": text("CO₂e / year", "CO₂e / an"),
    "cost_per_year": text("€ / year", "€ / an"),
    "missing_nodes": text("nodes not measured", "nœuds non mesurés"),
    "run": text("run", "exécution"),
    "started": text("started (Paris)", "début (Paris)"),
    "runtime_intensity": text("intensity at run time", "intensité au moment"),
    "best_hour": text("day's best hour", "meilleure heure du jour"),
    "co2e_at_best": text("CO₂e at best hour", "CO₂e à la meilleure heure"),
    "saving": text("saving", "économie"),
    "basis": text("basis", "base"),
    "task": text("task", "tâche"),
    "series": text("series", "série"),
    "upper_bound": text(
        "upper bound, not available to users", "borne haute, inaccessible aux utilisateurs"
    ),
    "model": text("model", "modèle"),
    "predictions": text("predictions served", "prédictions servies"),
    "energy_per_prediction": text("energy per prediction", "énergie par prédiction"),
    "inference_energy": text("inference energy", "énergie d'inférence"),
    "inference_co2e": text("inference CO₂e", "CO₂e d'inférence"),
    "break_even": text(
        "predictions to equal the training", "prédictions pour égaler l'entraînement"
    ),
    "usage_basis": text("basis of the measurement", "base de la mesure"),
    "kind": text("kind", "type"),
    "metric": text("metric", "métrique"),
    "training_time": text("training time", "temps d'entraînement"),
    "training_energy": text("training energy", "énergie d'entraînement"),
    "training_co2e": text("training CO₂e", "CO₂e d'entraînement"),
    "pareto": text("Pareto front", "front de Pareto"),
    "yes": text("yes", "oui"),
    "no": text("no", "non"),
    "lower_better": text("lower is better", "plus bas = mieux"),
    "higher_better": text("higher is better", "plus haut = mieux"),
    "baseline": text("baseline (no training)", "référence (sans entraînement)"),
    "model_kind": text("model", "modèle"),
    "grid": text("grid", "réseau"),
    "intensity_col": text("intensity", "intensité"),
    "source": text("source", "source"),
    "pue": text("PUE", "PUE"),
    "cores": text("cores", "cœurs"),
    "memory_gb": text("memory (GB)", "mémoire (Go)"),
    "ga_energy": text("Green Algorithms energy", "énergie Green Algorithms"),
    "cc_energy": text("CodeCarbon energy", "énergie CodeCarbon"),
    "ratio": text("ratio", "rapport"),
    "budget": text("budget", "budget"),
    "exceeded": text("exceeded", "dépassé"),
    # phases
    "collection": text("collection", "collecte"),
    "processing": text("processing", "traitement"),
    "training": text("training", "entraînement"),
    "inference": text("inference", "inférence"),
    "orchestration": text("orchestration (outside nodes)", "orchestration (hors nœuds)"),
    "unknown": text("no phase", "sans phase"),
}


def label(key: str, lang: str) -> str:
    return tr(LABELS[key], lang) if key in LABELS else key
