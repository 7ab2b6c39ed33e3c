"""PNG charts of the carbon summary (matplotlib, Agg), labelled in the report's language.

- ``emissions_per_phase.png``: CO₂e per phase on both intensity bases;
- ``emissions_per_node.png``: the nodes with the largest CO₂e, coloured by phase;
- ``projection_per_dag.png``: the yearly CO₂e of each Airflow DAG;
- ``what_if_grids.png``: the same energy on other grids;
- ``tradeoff_pareto.png``: one panel per modelling task, accuracy against training CO₂e, every
  model labelled with its training time, baselines apart, the Pareto front drawn.
"""

from __future__ import annotations

import math
import textwrap
from pathlib import Path
from typing import Any, BinaryIO

from data_collection_kedro.carbon.summary import units
from data_collection_kedro.carbon.summary.compute import CarbonSummary
from data_collection_kedro.carbon.summary.i18n import label
from data_collection_kedro.carbon.summary.tradeoff import UPPER_BOUND

PHASE_COLOURS = {
    "collection": "#1b9e77",
    "processing": "#7570b3",
    "training": "#d95f02",
    "inference": "#e7298a",
    "orchestration": "#999999",
    "unknown": "#cccccc",
}
DPI = 110


def mass_scale(max_kg: float) -> tuple[float, str]:
    """(factor, unit) turning kilograms into the unit the largest value calls for."""
    for threshold, factor, unit in units.MASS_UNITS:
        if abs(max_kg) >= threshold:
            return factor, unit
    return units.MASS_UNITS[-1][1], units.MASS_UNITS[-1][2]


def _plt() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig: Any, path: Path, written: list[str]) -> None:
    fig.tight_layout()
    fig.savefig(path, dpi=DPI, bbox_inches="tight")
    _plt().close(fig)
    written.append(str(path))


def write_charts(summary: CarbonSummary, out_dir: Path, lang: str = "en") -> list[str]:
    written: list[str] = []
    if not summary.phases.empty:
        _phase_chart(summary, out_dir / "emissions_per_phase.png", lang, written)
    if not summary.nodes.empty:
        _node_chart(summary, out_dir / "emissions_per_node.png", lang, written)
    projection = summary.projection
    if not projection.empty and projection["emissions_kg_per_year"].notna().any():
        _projection_chart(summary, out_dir / "projection_per_dag.png", lang, written)
    if not summary.grids.empty:
        _grid_chart(summary, out_dir / "what_if_grids.png", lang, written)
    if summary.tradeoff is not None and not summary.tradeoff.empty:
        tradeoff_chart(summary, out_dir / "tradeoff_pareto.png", lang)
        written.append(str(out_dir / "tradeoff_pareto.png"))
    return written


def _phase_chart(summary: CarbonSummary, path: Path, lang: str, written: list[str]) -> None:
    plt = _plt()
    table = summary.phases.iloc[::-1]
    factor, unit = mass_scale(float(table["emissions_kg"].max()))
    names = [label(str(p), lang) for p in table["phase"]]
    positions = range(len(table))
    fig, ax = plt.subplots(figsize=(8, 0.55 * len(table) + 1.6))
    runtime = table["runtime_emissions_kg"]
    has_runtime = runtime.notna().any()
    height = 0.38 if has_runtime else 0.6
    ax.barh(
        [p + (height / 2 if has_runtime else 0) for p in positions],
        table["emissions_kg"] * factor,
        height=height,
        color=[PHASE_COLOURS.get(str(p), "#cccccc") for p in table["phase"]],
        label=label("co2e_annual", lang),
    )
    if has_runtime:
        ax.barh(
            [p - height / 2 for p in positions],
            runtime.fillna(0.0) * factor,
            height=height,
            color="white",
            edgecolor=[PHASE_COLOURS.get(str(p), "#cccccc") for p in table["phase"]],
            hatch="//",
            label=label("co2e_runtime", lang),
        )
        ax.legend(loc="lower right", fontsize=8)
    for p, value in zip(positions, table["emissions_kg"], strict=True):
        ax.annotate(
            units.mass(value, lang),
            (value * factor, p + (height / 2 if has_runtime else 0)),
            xytext=(3, 0),
            textcoords="offset points",
            va="center",
            fontsize=8,
        )
    ax.set_yticks(list(positions), names)
    ax.set_xlabel(f"CO₂e ({unit})")
    ax.set_title(
        label("per_phase", lang) + " — " + units.mass(summary.totals["emissions_kg"], lang)
    )
    ax.margins(x=0.18)
    _save(fig, path, written)


def _node_chart(summary: CarbonSummary, path: Path, lang: str, written: list[str]) -> None:
    plt = _plt()
    top = summary.nodes.head(15).iloc[::-1]
    factor, unit = mass_scale(float(top["emissions_kg"].max()))
    fig, ax = plt.subplots(figsize=(9, 0.36 * len(top) + 1.6))
    ax.barh(
        [f"{p}.{n}" for p, n in zip(top["pipeline"], top["node"], strict=True)],
        top["emissions_kg"] * factor,
        color=[PHASE_COLOURS.get(str(p), "#cccccc") for p in top["phase"]],
    )
    handles = [
        plt.Rectangle((0, 0), 1, 1, color=PHASE_COLOURS[p])
        for p in PHASE_COLOURS
        if p in set(top["phase"])
    ]
    names = [label(p, lang) for p in PHASE_COLOURS if p in set(top["phase"])]
    ax.legend(handles, names, title=label("phase", lang), fontsize=8, loc="lower right")
    ax.set_xlabel(f"CO₂e ({unit})")
    ax.set_title(label("per_node", lang))
    _save(fig, path, written)


def _projection_chart(summary: CarbonSummary, path: Path, lang: str, written: list[str]) -> None:
    plt = _plt()
    table = summary.projection.dropna(subset=["emissions_kg_per_year"]).iloc[::-1]
    factor, unit = mass_scale(float(table["emissions_kg_per_year"].max()))
    fig, ax = plt.subplots(figsize=(9, 0.45 * len(table) + 1.6))
    ax.barh(table["dag_id"], table["emissions_kg_per_year"] * factor, color="#4c72b0")
    for y, (value, runs) in enumerate(
        zip(table["emissions_kg_per_year"], table["runs_per_year"], strict=True)
    ):
        per_year = "exécutions / an" if lang == "fr" else "runs / year"
        ax.annotate(
            f"{units.mass(value, lang)} ({units.count(runs, lang)} {per_year})",
            (value * factor, y),
            xytext=(3, 0),
            textcoords="offset points",
            va="center",
            fontsize=8,
        )
    ax.set_xlabel(f"CO₂e ({unit}) / " + ("an" if lang == "fr" else "year"))
    ax.set_title(label("projection", lang))
    ax.margins(x=0.35)
    _save(fig, path, written)


def _grid_chart(summary: CarbonSummary, path: Path, lang: str, written: list[str]) -> None:
    plt = _plt()
    grids = summary.grids
    factor, unit = mass_scale(float(grids["emissions_kg"].max()))
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.bar(grids["grid"], grids["emissions_kg"] * factor, color="#4c72b0")
    ax.set_ylabel(f"CO₂e ({unit})")
    ax.set_title(label("what_if_grids", lang))
    _save(fig, path, written)


def _spread(values: list[float], gap: float) -> list[float]:
    """Label positions: ``values`` moved apart so that no two are closer than ``gap``."""
    order = sorted(range(len(values)), key=lambda i: values[i])
    placed = list(values)
    previous = -math.inf
    for i in order:
        placed[i] = max(values[i], previous + gap)
        previous = placed[i]
    return placed


def tradeoff_chart(
    summary: CarbonSummary, path: Path | BinaryIO, lang: str = "en", *, stacked: bool = False
) -> None:
    """One panel per task: the metric (unit, direction) against training CO₂e; every point
    labelled with its model and training time; baselines as hollow squares at zero training
    cost; the Pareto front as a red step line. Panels side by side (the report) or one under
    the other (``stacked``: a narrow page)."""
    plt = _plt()
    table = summary.tradeoff
    assert table is not None
    tasks = {t.name: t for t in summary.config.tradeoff_tasks}
    panels = [
        (name, series)
        for name, series in dict.fromkeys(zip(table["task"], table["series"], strict=True))
        if name in tasks
    ]
    columns = 1 if stacked else min(3, len(panels))
    rows = math.ceil(len(panels) / columns)
    size = (7.5, 4.8 * rows) if stacked else (6.4 * columns, 5.4 * rows)
    fig, axes = plt.subplots(rows, columns, figsize=size, squeeze=False)
    for ax in axes.flat[len(panels) :]:
        ax.set_visible(False)
    for ax, (name, series) in zip(axes.flat, panels, strict=False):
        task = tasks[name]
        part = table[(table["task"] == name) & (table["series"] == series)].copy()
        cost = part["training_emissions_kg"]
        factor, unit = mass_scale(float(cost.max()) if cost.notna().any() else 0.0)
        part["x"] = cost * factor
        plotted = part[part["x"].notna()]
        models = plotted[plotted["kind"] != "baseline"]
        baselines = plotted[plotted["kind"] == "baseline"]
        front = plotted[plotted["pareto"]].sort_values("x")
        ax.scatter(
            models["x"],
            models["value"],
            s=70,
            c=["#d62728" if p else "#7f7f7f" for p in models["pareto"]],
            zorder=3,
            label=label("model_kind", lang),
        )
        if not baselines.empty:
            ax.scatter(
                baselines["x"],
                baselines["value"],
                s=70,
                marker="s",
                facecolors="none",
                edgecolors=["#d62728" if p else "#7f7f7f" for p in baselines["pareto"]],
                zorder=3,
                label=label("baseline", lang),
            )
        if len(front) > 1:
            ax.step(
                front["x"],
                front["value"],
                where="post",
                color="#d62728",
                linestyle="--",
                linewidth=1,
                label=label("pareto", lang),
            )
        elif len(front) == 1:
            ax.plot([], [], color="#d62728", linestyle="--", label=label("pareto", lang))
        low = min(0.0, float(plotted["value"].min())) if len(plotted) else 0.0
        high = float(plotted["value"].max()) if len(plotted) else 1.0
        span = (high - low) or 1.0
        label_y = _spread(list(plotted["value"]), span * 0.06)
        for (_, row), y in zip(plotted.iterrows(), label_y, strict=True):
            time = units.duration(row["training_duration_s"], lang)
            if row["kind"] == "baseline":
                time = "sans entraînement" if lang == "fr" else "no training"
            elif row["kind"] != "model":  # fitted in another node: an upper bound
                time = f"≤ {time}"
            ax.annotate(
                f"{row['model']} ({time})",
                (row["x"], row["value"]),
                xytext=(7, y),
                textcoords=("offset points", "data"),
                fontsize=8,
                ha="left",
                va="center",
                arrowprops={"arrowstyle": "-", "color": "#bbbbbb", "lw": 0.6}
                if abs(y - row["value"]) > 1e-12
                else None,
            )
        missing = part[part["x"].isna()]
        notes = []
        bound = missing["kind"] == UPPER_BOUND
        for unplotted, note in (
            (missing[bound], label("upper_bound", lang)),
            (missing[~bound], "sans coût mesuré" if lang == "fr" else "no measured cost"),
        ):
            if not unplotted.empty:
                notes.append(f"{note} : " if lang == "fr" else f"{note}: ")
                notes[-1] += ", ".join(
                    f"{m} ({units.number(v, lang)})"
                    for m, v in zip(unplotted["model"], unplotted["value"], strict=True)
                )
        if notes:
            ax.text(
                0.01,
                0.01,
                "\n".join(textwrap.fill(n, 75) for n in notes),
                transform=ax.transAxes,
                fontsize=7,
                color="#555555",
            )
        direction = label("higher_better" if task.higher_is_better else "lower_better", lang)
        unit_text = f" ({task.unit})" if task.unit else ""
        ax.set_ylabel(f"{task.label_in(lang)}{unit_text} — {direction}")
        ax.set_xlabel(f"{label('training_co2e', lang)} ({unit})")
        count = len(models)
        title = name.replace("_", " ").capitalize()
        if series:
            title += f" · {series.replace('_', ' ')}"
        elif task.series:  # the task's models that forecast none of its series
            title += " · " + ("autres modèles" if lang == "fr" else "other models")
        ax.set_title(
            f"{title}\n{count} "
            + ("modèle(s)" if lang == "fr" else "model(s)")
            + (f", {len(baselines)} " + ("référence(s)" if lang == "fr" else "baseline(s)"))
        )
        x_max = float(plotted["x"].max()) if len(plotted) else 1.0
        ax.set_xlim(-0.05 * (x_max or 1.0), (x_max or 1.0) * 1.6)
        ax.set_ylim(low - 0.05 * span, high + 0.12 * span)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=3)
    fig.suptitle(
        label("tradeoff", lang)
        + "\n"
        + (
            "rouge : front de Pareto (aucun autre modèle n'est à la fois plus précis et moins "
            "émetteur) ; entre parenthèses : temps d'entraînement"
            if lang == "fr"
            else "red: Pareto front (no other model is both more accurate and cheaper in CO₂e); "
            "in brackets: training time"
        ),
        fontsize=10,
    )
    fig.tight_layout()
    fig.savefig(path, dpi=DPI, bbox_inches="tight", format="png")
    plt.close(fig)
