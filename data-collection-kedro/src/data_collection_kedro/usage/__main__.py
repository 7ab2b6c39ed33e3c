"""``python -m data_collection_kedro.usage usage-footprint analytics.yaml --region france``.

Prints, per profile (and per day with ``--per-day``): inferences, inference time, energy (kWh)
and emissions (gCO₂e), then which carbon-hook measurements were used (the project's
``emissions_nodes.csv`` by default), the region's parameters, the formula and the assumptions. ``--json``
prints the same result as JSON (the REST service's response). Exit status: 0 on success, 1 when
the analytics or the configuration are invalid (the message names the row and field), 2 on a
command-line error.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from data_collection_kedro.usage import estimate_usage
from data_collection_kedro.usage.analytics import AnalyticsError
from data_collection_kedro.usage.config import UsageConfigError, load_usage_config
from data_collection_kedro.usage.footprint import UsageEstimate
from data_collection_kedro.usage.measurements import read_node_measurements


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m data_collection_kedro.usage",
        description="Energy and carbon footprint of model usage (inference).",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    cmd = commands.add_parser(
        "usage-footprint",
        help="kWh and gCO2e per profile (and day) of an analytics file (YAML or CSV)",
    )
    cmd.add_argument("analytics", type=Path, help="YAML or CSV: day, profile, requests[, sizes]")
    cmd.add_argument("--region", default=None, help="a region of the configuration")
    cmd.add_argument("--per-day", action="store_true", help="also print the per-day detail")
    cmd.add_argument("--config", type=Path, default=None, help="usage configuration YAML")
    cmd.add_argument(
        "--node-emissions",
        type=Path,
        default=None,
        help="emissions_nodes.csv of the carbon hook (default: the project's, in "
        "carbon.output_dir); measured profiles use the latest measurement of their node",
    )
    cmd.add_argument("--json", action="store_true", help="print the result as JSON")
    commands.add_parser("regions", help="list the configured regions").add_argument(
        "--config", type=Path, default=None
    )
    commands.add_parser("profiles", help="list the configured usage profiles").add_argument(
        "--config", type=Path, default=None
    )
    return parser


def _table(frame: pd.DataFrame) -> str:
    return frame.to_string(index=False, float_format=lambda v: f"{v:.6g}")


def render(result: UsageEstimate, per_day: bool) -> str:
    """The human-readable report."""
    reg = result.region_parameters
    profiles = result.per_profile.drop(columns=["basis"])
    lines = [
        f"Usage footprint — region {result.region}: PUE {reg.pue:g}, "
        f"{reg.carbon_intensity_gco2e_per_kwh:g} gCO2e/kWh ({reg.source})",
        "",
        _table(profiles),
    ]
    totals = result.totals()
    lines += [
        "",
        f"Total: {totals['total_inferences']} inferences, {totals['energy_kwh']:.6g} kWh, "
        f"{totals['emissions_gco2e']:.6g} gCO2e",
    ]
    if per_day:
        lines += ["", "Per day:", _table(result.per_day)]
    if result.measurements:
        lines += ["", "Measurements: " + result.measurements]
    lines += ["", "Formula: " + result.formula, "", "Assumptions:"]
    payload = result.to_dict()
    lines += [f"  - {a}" for a in payload["assumptions"]]
    for rec in payload["profiles"]:
        lines.append(f"  - {rec['profile']}: {rec['basis']}; {json.dumps(rec['assumptions'])}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        config = load_usage_config(args.config)
        if args.command == "regions":
            for name, reg in config.regions.items():
                default = " (default)" if name == config.default_region else ""
                print(
                    f"{name}{default}: PUE {reg.pue:g}, "
                    f"{reg.carbon_intensity_gco2e_per_kwh:g} gCO2e/kWh — {reg.source}"
                )
            return 0
        if args.command == "profiles":
            for name, profile in config.profiles.items():
                print(f"{name} ({profile.kind}): {profile.model_dump(exclude_none=True)}")
            return 0
        measurements = read_node_measurements(args.node_emissions)
        result = estimate_usage(args.analytics, args.region, config, measurements)
    except (AnalyticsError, UsageConfigError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyError as exc:
        print(f"error: {exc.args[0]}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(result.to_dict(per_day=args.per_day), ensure_ascii=False, indent=2))
    else:
        print(render(result, args.per_day))
    return 0


if __name__ == "__main__":
    sys.exit(main())
