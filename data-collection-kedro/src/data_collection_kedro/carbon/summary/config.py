"""Configuration of the carbon summary (``conf/base/parameters_carbon_summary.yml``)."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any


class ConfigError(ValueError):
    """A value of the ``carbon_summary`` block is missing or of the wrong type."""


@dataclasses.dataclass(frozen=True)
class Grid:
    name: str
    g_co2e_per_kwh: float
    source: str


@dataclasses.dataclass(frozen=True)
class GreenAlgorithmsConfig:
    core_power_w: float = 12.0
    usage_factor: float = 1.0
    memory_power_w_per_gb: float = 0.3725
    cores: float | None = None
    memory_gb: float | None = None
    pue: float | None = None


@dataclasses.dataclass(frozen=True)
class SummaryConfig:
    electricity_eur_per_kwh: float = 0.2516
    cloud_instance_eur_per_hour: float = 0.096
    internal_carbon_price_eur_per_t: float = 100.0
    grids: tuple[Grid, ...] = ()
    pue_values: tuple[float, ...] = (1.0, 1.1, 1.58, 2.0)
    green_algorithms: GreenAlgorithmsConfig = GreenAlgorithmsConfig()
    budgets_kg: Mapping[str, float] = dataclasses.field(default_factory=dict)
    stale_after_days: float = 30.0
    partial_tolerance: float = 0.05
    ram_dominance_share: float = 0.5
    tradeoff_metrics: tuple[str, ...] = (
        "test_mape", "test_rmse", "test_mae", "test_r2", "test_f1", "test_silhouette",
    )  # fmt: skip
    higher_is_better: frozenset[str] = frozenset({"test_r2", "test_f1", "test_silhouette"})
    energy_metrics: tuple[str, ...] = ("training_energy_kwh", "energy_kwh")
    emissions_metrics: tuple[str, ...] = ("training_emissions_kg", "emissions_kg")
    carbon_dir: str | None = None
    reports_dir: str = "reports/carbon"

    def budget_for(self, pipeline: str) -> float | None:
        if pipeline in self.budgets_kg:
            return self.budgets_kg[pipeline]
        return self.budgets_kg.get("default")


@cache
def _codecarbon_mix() -> dict[str, Any]:
    path = resources.files("codecarbon") / "data" / "private_infra" / "global_energy_mix.json"
    return dict(json.loads(path.read_text(encoding="utf-8")))


@cache
def _codecarbon_world_average() -> float | None:
    path = resources.files("codecarbon") / "data" / "private_infra"
    try:
        data = json.loads((path / "carbon_intensity_per_source.json").read_text(encoding="utf-8"))
        return float(data["world_average"])
    except (OSError, KeyError, ValueError, TypeError):
        return None


def grid_intensity(name: str, iso: str | None, fallback: float | None) -> Grid:
    """A grid's intensity: CodeCarbon's bundled figure for ``iso`` when it has one, else the
    configured fallback (``iso: world`` → CodeCarbon's world average)."""
    if iso:
        if iso.lower() == "world":
            world = _codecarbon_world_average()
            if world is not None:
                return Grid(name, world, "CodeCarbon world average")
        else:
            try:
                entry = _codecarbon_mix()[iso.upper()]
                return Grid(
                    name,
                    float(entry["carbon_intensity"]),
                    f"CodeCarbon energy mix {iso.upper()} ({entry.get('year', 'n.d.')})",
                )
            except (OSError, KeyError, ValueError, TypeError):
                pass
    if fallback is None:
        raise ConfigError(
            f"carbon_summary.grids.{name}: CodeCarbon has no intensity for {iso!r} and no "
            "g_co2e_per_kwh fallback is configured"
        )
    return Grid(name, float(fallback), "configuration")


def _number(block: Mapping[str, Any], key: str, default: float | None, where: str) -> float | None:
    value = block.get(key, default)
    if value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{where}.{key}: expected a number, got {value!r}") from None


def load_config(block: Mapping[str, Any] | None) -> SummaryConfig:
    """Build the configuration from the ``carbon_summary`` parameters block."""
    block = dict(block or {})
    defaults = SummaryConfig()
    costs = dict(block.get("costs") or {})
    where = "carbon_summary"
    grids = []
    for name, spec in (block.get("grids") or {}).items():
        spec = spec if isinstance(spec, Mapping) else {"g_co2e_per_kwh": spec}
        grids.append(
            grid_intensity(
                str(name),
                spec.get("iso"),
                _number(spec, "g_co2e_per_kwh", None, f"{where}.grids.{name}"),
            )
        )
    ga_block = dict(block.get("green_algorithms") or {})
    ga_where = f"{where}.green_algorithms"
    ga = GreenAlgorithmsConfig(
        core_power_w=_number(ga_block, "core_power_w", 12.0, ga_where) or 0.0,
        usage_factor=_number(ga_block, "usage_factor", 1.0, ga_where) or 0.0,
        memory_power_w_per_gb=_number(ga_block, "memory_power_w_per_gb", 0.3725, ga_where) or 0.0,
        cores=_number(ga_block, "cores", None, ga_where),
        memory_gb=_number(ga_block, "memory_gb", None, ga_where),
        pue=_number(ga_block, "pue", None, ga_where),
    )
    budgets = {
        str(k): float(_number({"v": v}, "v", None, f"{where}.budgets_kg.{k}") or 0.0)
        for k, v in (block.get("budgets_kg") or {}).items()
        if v is not None
    }
    tradeoff = dict(block.get("tradeoff") or {})
    pue_values = tuple(float(v) for v in block.get("pue_values") or defaults.pue_values)
    return SummaryConfig(
        electricity_eur_per_kwh=_number(
            costs, "electricity_eur_per_kwh", defaults.electricity_eur_per_kwh, f"{where}.costs"
        )
        or 0.0,
        cloud_instance_eur_per_hour=_number(
            costs,
            "cloud_instance_eur_per_hour",
            defaults.cloud_instance_eur_per_hour,
            f"{where}.costs",
        )
        or 0.0,
        internal_carbon_price_eur_per_t=_number(
            costs,
            "internal_carbon_price_eur_per_t",
            defaults.internal_carbon_price_eur_per_t,
            f"{where}.costs",
        )
        or 0.0,
        grids=tuple(grids),
        pue_values=pue_values,
        green_algorithms=ga,
        budgets_kg=budgets,
        stale_after_days=_number(block, "stale_after_days", 30.0, where) or 30.0,
        partial_tolerance=_number(block, "partial_tolerance", 0.05, where) or 0.05,
        ram_dominance_share=_number(block, "ram_dominance_share", 0.5, where) or 0.5,
        tradeoff_metrics=tuple(tradeoff.get("metrics") or defaults.tradeoff_metrics),
        higher_is_better=frozenset(tradeoff.get("higher_is_better") or defaults.higher_is_better),
        energy_metrics=tuple(tradeoff.get("energy_metrics") or defaults.energy_metrics),
        emissions_metrics=tuple(tradeoff.get("emissions_metrics") or defaults.emissions_metrics),
        carbon_dir=str(block["carbon_dir"]) if block.get("carbon_dir") else None,
        reports_dir=str(block.get("reports_dir") or defaults.reports_dir),
    )
