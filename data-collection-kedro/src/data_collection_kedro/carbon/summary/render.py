"""Outputs of the carbon summary: terminal text, Markdown, JSON and PNG charts."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pandas as pd

from data_collection_kedro.carbon.summary.compute import CarbonSummary

PIPELINE_COLUMNS = [
    "pipeline", "runs", "duration_s", "energy_kwh", "emissions_kg", "emissions_g", "share",
    "implied_power_w", "implied_intensity_g_per_kwh", "measurement",
]  # fmt: skip
NODE_COLUMNS = [
    "pipeline", "node", "runs", "duration_s", "energy_kwh", "emissions_kg", "emissions_g",
    "share", "implied_power_w", "measurement", "failed",
]  # fmt: skip


def _fmt(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if math.isnan(value):
            return "–"
        if value == 0:
            return "0"
        if abs(value) >= 1000 or abs(value) < 0.001:
            return f"{value:.3e}"
        return f"{value:.4g}"
    if isinstance(value, pd.Timestamp):
        return f"{value:%Y-%m-%d %H:%M:%S}"
    return str(value)


def _rows(frame: pd.DataFrame | None, columns: list[str] | None = None) -> list[list[str]]:
    if frame is None or frame.empty:
        return []
    columns = [c for c in (columns or list(frame.columns)) if c in frame.columns]
    return [[_fmt(v) for v in row] for row in frame[columns].itertuples(index=False)]


def _text_table(frame: pd.DataFrame | None, columns: list[str] | None = None) -> str:
    if frame is None or frame.empty:
        return "  (none)"
    columns = [c for c in (columns or list(frame.columns)) if c in frame.columns]
    body = _rows(frame, columns)
    widths = [max(len(c), *(len(r[i]) for r in body)) for i, c in enumerate(columns)]
    lines = ["  " + "  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True))]
    lines.append("  " + "  ".join("-" * w for w in widths))
    lines += ["  " + "  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)) for r in body]
    return "\n".join(lines)


def _md_table(frame: pd.DataFrame | None, columns: list[str] | None = None) -> str:
    if frame is None or frame.empty:
        return "_none_"
    columns = [c for c in (columns or list(frame.columns)) if c in frame.columns]
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(r) + " |" for r in _rows(frame, columns)]
    return "\n".join(lines)


def _sections(summary: CarbonSummary) -> list[tuple[str, Any]]:
    """(title, content) pairs shared by the text and Markdown outputs; content is a frame,
    a list of lines or a string."""
    total = summary.totals
    totals_frame = pd.DataFrame([total])
    sections: list[tuple[str, Any]] = [
        ("Totals", totals_frame),
        ("Per pipeline", (summary.pipelines, PIPELINE_COLUMNS)),
        ("Per node (share of the total emissions)", (summary.nodes, NODE_COLUMNS)),
        ("How it was measured", summary.measurement_notes or ["no measured node in the selection"]),
        ("Costs (EUR)", pd.DataFrame([summary.costs])),
        ("Costs per pipeline (EUR)", summary.pipeline_costs),
        ("What if: the same energy on other grids", summary.grids),
        ("What if: other PUE values (same IT energy, same grid)", summary.pue),
        ("Green Algorithms cross-check (beside CodeCarbon)", summary.green_algorithms),
    ]
    if summary.tradeoff is not None and not summary.tradeoff.empty:
        sections.append(("Trade-off: test metric vs training footprint (MLflow)", summary.tradeoff))
    else:
        sections.append(
            (
                "Trade-off: test metric vs training footprint (MLflow)",
                [summary.tradeoff_note or "no model run with both figures"],
            )
        )
    if summary.usage is not None and not summary.usage.empty:
        sections.append(("Usage: inference vs training", summary.usage))
    if summary.usage_note:
        sections.append(("Usage note", [summary.usage_note]))
    sections.append(("Warnings", summary.warnings or ["none"]))
    sections.append(
        (
            "Optimisation hints (by share)",
            [
                f"{h['pipeline']}.{h['node']} ({h['share']:.0%}, {h['phase']}): {h['levers']}"
                for h in summary.hints
            ]
            or ["no measured node"],
        )
    )
    sections.append(("Carbon budgets (kg per run)", pd.DataFrame(summary.budgets)))
    return sections


def to_text(summary: CarbonSummary) -> str:
    out = [f"EnergieWatch carbon summary: {summary.selection}", ""]
    for title, content in _sections(summary):
        out.append(f"== {title}")
        if isinstance(content, tuple):
            out.append(_text_table(*content))
        elif isinstance(content, pd.DataFrame):
            out.append(_text_table(content))
        else:
            out += [f"  - {line}" for line in content]
        out.append("")
    return "\n".join(out)


def to_markdown(summary: CarbonSummary) -> str:
    out = ["# EnergieWatch carbon summary", "", f"Selection: {summary.selection}.", ""]
    for title, content in _sections(summary):
        out.append(f"## {title}")
        out.append("")
        if isinstance(content, tuple):
            out.append(_md_table(*content))
        elif isinstance(content, pd.DataFrame):
            out.append(_md_table(content))
        else:
            out += [f"- {line}" for line in content]
        out.append("")
    if summary.charts:
        out.append("## Charts")
        out.append("")
        out += [f"![{Path(c).stem}]({Path(c).name})" for c in summary.charts]
        out.append("")
    return "\n".join(out)


def _jsonable(value: Any) -> Any:
    if isinstance(value, pd.DataFrame):
        return [_jsonable(r) for r in value.to_dict(orient="records")]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item"):  # numpy scalars
        return _jsonable(value.item())
    return value


def to_json(summary: CarbonSummary) -> str:
    payload = {
        "selection": summary.selection,
        "totals": summary.totals,
        "pipelines": summary.pipelines,
        "nodes": summary.nodes,
        "costs": summary.costs,
        "pipeline_costs": summary.pipeline_costs,
        "what_if_grids": summary.grids,
        "what_if_pue": summary.pue,
        "green_algorithms": summary.green_algorithms,
        "measurement_notes": summary.measurement_notes,
        "tradeoff": summary.tradeoff if summary.tradeoff is not None else [],
        "tradeoff_note": summary.tradeoff_note,
        "usage": summary.usage if summary.usage is not None else [],
        "usage_note": summary.usage_note,
        "warnings": summary.warnings,
        "hints": summary.hints,
        "budgets": summary.budgets,
        "budget_exceeded": summary.budget_exceeded,
        "charts": [Path(c).name for c in summary.charts],
    }
    return json.dumps(_jsonable(payload), indent=2, ensure_ascii=False)


def write_charts(summary: CarbonSummary, out_dir: Path) -> list[str]:
    """PNG charts (matplotlib, Agg): emissions per node, what-if grids, Pareto front."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    written: list[str] = []
    if not summary.nodes.empty:
        top = summary.nodes.head(15).iloc[::-1]
        fig, ax = plt.subplots(figsize=(8, 0.35 * len(top) + 1.5))
        ax.barh(
            [f"{p}.{n}" for p, n in zip(top["pipeline"], top["node"], strict=True)],
            top["emissions_g"],
        )
        ax.set_xlabel("emissions (g CO2e)")
        ax.set_title("Emissions per node")
        fig.tight_layout()
        path = out_dir / "emissions_per_node.png"
        fig.savefig(path, dpi=100)
        plt.close(fig)
        written.append(str(path))
    if not summary.grids.empty:
        fig, ax = plt.subplots(figsize=(7, 4))
        ax.bar(summary.grids["grid"], summary.grids["emissions_g"])
        ax.set_ylabel("emissions (g CO2e)")
        ax.set_title("The same energy on other grids")
        fig.tight_layout()
        path = out_dir / "what_if_grids.png"
        fig.savefig(path, dpi=100)
        plt.close(fig)
        written.append(str(path))
    if summary.tradeoff is not None and not summary.tradeoff.empty:
        metrics = list(dict.fromkeys(summary.tradeoff["metric"]))
        fig, axes = plt.subplots(1, len(metrics), figsize=(5 * len(metrics), 4), squeeze=False)
        for ax, metric in zip(axes[0], metrics, strict=True):
            part = summary.tradeoff[summary.tradeoff["metric"] == metric]
            cost = part["emissions_kg"].fillna(part["energy_kwh"]) * 1000.0
            ax.scatter(
                cost, part["value"], c=["tab:red" if p else "tab:gray" for p in part["pareto"]]
            )
            for x, y, name in zip(cost, part["value"], part["model"], strict=True):
                ax.annotate(name, (x, y), fontsize=7)
            front = part[part["pareto"]].assign(cost=cost[part["pareto"]]).sort_values("cost")
            ax.plot(front["cost"], front["value"], "r--", linewidth=1)
            ax.set_xlabel("training emissions (g CO2e)")
            ax.set_ylabel(metric)
            ax.set_title(f"Pareto front ({metric})")
        fig.tight_layout()
        path = out_dir / "tradeoff_pareto.png"
        fig.savefig(path, dpi=100)
        plt.close(fig)
        written.append(str(path))
    return written


def write_reports(summary: CarbonSummary, out_dir: Path) -> dict[str, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    summary.charts = write_charts(summary, out_dir)
    paths = {
        "markdown": out_dir / "carbon_summary.md",
        "json": out_dir / "carbon_summary.json",
    }
    paths["markdown"].write_text(to_markdown(summary), encoding="utf-8")
    paths["json"].write_text(to_json(summary), encoding="utf-8")
    return paths
