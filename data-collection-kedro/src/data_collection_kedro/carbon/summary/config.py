"""Configuration of the carbon summary (``conf/base/parameters_carbon_summary.yml``)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from data_collection_kedro.carbon.grid import Grid, GridError, grid_intensity


class ConfigError(ValueError):
    """A value of the ``carbon_summary`` block is missing or of the wrong type."""


__all__ = ["ConfigError", "Grid", "SummaryConfig", "TradeoffTask", "load_config"]


@dataclasses.dataclass(frozen=True)
class TradeoffTask:
    """A modelling task of the trade-off chart: the metric its models are compared on."""

    name: str
    metric: str  # MLflow metric name (``test_mape``)
    label: str  # what the metric is, for people
    unit: str = ""
    higher_is_better: bool = False
    label_fr: str = ""
    # the series a task's models forecast, named in the model names (``electricity_national``):
    # models of different series are compared apart (a national MAPE is not a regional one)
    series: tuple[str, ...] = ()
    # name endings of reference scores no user can have (``_oracle_weather``: the observed
    # weather): shown, never on the Pareto front
    upper_bounds: tuple[str, ...] = ()

    def series_of(self, model: str) -> str:
        """The series ``model`` forecasts ("" when its name names none of :attr:`series`)."""
        return next((s for s in self.series if f"_{s}_" in f"_{model}_"), "")

    def label_in(self, lang: str) -> str:
        return self.label_fr if lang == "fr" and self.label_fr else self.label


DEFAULT_TASKS = (
    TradeoffTask("forecasting", "test_mape", "MAPE, test period", "%", False),
    TradeoffTask("anomaly_detection", "validation_f1", "F1 on labelled anomalies", "", True),
    TradeoffTask("clustering", "all_silhouette", "silhouette", "", True),
)


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
    tradeoff_tasks: tuple[TradeoffTask, ...] = DEFAULT_TASKS
    fit_nodes: Mapping[str, str] = dataclasses.field(default_factory=dict)
    intensity_profile_days: int = 7
    carbon_dir: str | None = None
    reports_dir: str = "reports/carbon"

    def budget_for(self, pipeline: str) -> float | None:
        if pipeline in self.budgets_kg:
            return self.budgets_kg[pipeline]
        return self.budgets_kg.get("default")


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
        try:
            grids.append(
                grid_intensity(
                    str(name),
                    spec.get("iso"),
                    _number(spec, "g_co2e_per_kwh", None, f"{where}.grids.{name}"),
                )
            )
        except GridError as exc:
            raise ConfigError(f"{where}.grids.{name}: {exc}") from None
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
        tradeoff_tasks=_tasks(tradeoff.get("tasks"), f"{where}.tradeoff.tasks"),
        fit_nodes={str(k): str(v) for k, v in (tradeoff.get("fit_nodes") or {}).items()},
        intensity_profile_days=int(
            _number(block, "intensity_profile_days", 7, where) or defaults.intensity_profile_days
        ),
        carbon_dir=str(block["carbon_dir"]) if block.get("carbon_dir") else None,
        reports_dir=str(block.get("reports_dir") or defaults.reports_dir),
    )


def _tasks(block: Any, where: str) -> tuple[TradeoffTask, ...]:
    if not block:
        return DEFAULT_TASKS
    if not isinstance(block, Mapping):
        raise ConfigError(f"{where}: expected a mapping of task name to its metric")
    tasks = []
    for name, spec in block.items():
        if not isinstance(spec, Mapping) or not spec.get("metric"):
            raise ConfigError(f"{where}.{name}: expected a mapping with a metric name")
        tasks.append(
            TradeoffTask(
                name=str(name),
                metric=str(spec["metric"]),
                label=str(spec.get("label") or spec["metric"]),
                unit=str(spec.get("unit") or ""),
                higher_is_better=bool(spec.get("higher_is_better", False)),
                label_fr=str(spec.get("label_fr") or ""),
                series=_names(spec.get("series"), f"{where}.{name}.series"),
                upper_bounds=_names(spec.get("upper_bounds"), f"{where}.{name}.upper_bounds"),
            )
        )
    return tuple(tasks)


def _names(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ConfigError(f"{where}: expected a list of names, got {value!r}")
    return tuple(value)
