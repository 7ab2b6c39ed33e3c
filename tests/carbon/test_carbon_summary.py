"""Carbon summary: fixture emissions files with known numbers, figures computed by hand."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from data_collection_kedro.carbon import files
from data_collection_kedro.carbon.intensity import IntensitySeries
from data_collection_kedro.carbon.summary import (
    NodeInfo,
    build_summary,
    load_carbon_files,
    load_config,
)
from data_collection_kedro.carbon.summary.charts import tradeoff_chart
from data_collection_kedro.carbon.summary.compute import parse_bound
from data_collection_kedro.carbon.summary.tradeoff import tradeoff_table
from data_collection_kedro.schedules import DagPlan, Task
from tests.support.paths import REPO_ROOT

REPO = REPO_ROOT
SCRIPT = REPO / "scripts" / "carbon_summary.py"

# CodeCarbon 3.x columns (EmissionsData) and an older, smaller set (CodeCarbon 1.x/2.x files)
CC3_COLUMNS = [
    "timestamp", "project_name", "run_id", "experiment_id", "duration", "emissions",
    "emissions_rate", "cpu_power", "gpu_power", "ram_power", "cpu_energy", "gpu_energy",
    "ram_energy", "energy_consumed", "water_consumed", "country_name", "country_iso_code",
    "region", "cloud_provider", "cloud_region", "os", "python_version", "codecarbon_version",
    "cpu_count", "cpu_model", "gpu_count", "gpu_model", "longitude", "latitude",
    "ram_total_size", "tracking_mode", "cpu_utilization_percent", "gpu_utilization_percent",
    "ram_utilization_percent", "ram_used_gb", "on_cloud", "pue", "wue",
]  # fmt: skip
OLD_COLUMNS = [
    "timestamp", "project_name", "run_id", "duration", "emissions", "emissions_rate",
    "cpu_power", "gpu_power", "ram_power", "cpu_energy", "gpu_energy", "ram_energy",
    "energy_consumed", "country_name", "country_iso_code", "region", "on_cloud",
    "cloud_provider", "cloud_region",
]  # fmt: skip

# (pipeline, run_id, end timestamp, duration s, kWh, kg, cpu kWh, ram kWh, cpu_count, RAM GB, PUE)
RUNS = [
    ("etl_pipeline", "e1", "2026-01-10T10:00:00", 100, 0.002, 0.0001, 0.0005, 0.0015, 2, 8, 1.0),
    ("etl_pipeline", "e2", "2026-01-11T10:00:00", 200, 0.004, 0.0002, 0.001, 0.003, 2, 8, 1.0),
    ("forecasting", "f1", "2026-01-11T12:00:00", 360, 0.006, 0.0003, 0.004, 0.002, 4, 16, 1.5),
]
# (run_id, pipeline, node, duration s, kWh, kg, measurement, status)
NODES = [
    ("e1", "etl_pipeline", "ingest_fuel_prices", 80, 0.0016, 0.00008, "cpu_load", "ok"),
    ("e1", "etl_pipeline", files.OUTSIDE_NODES, 20, 0.0004, 0.00002, "cpu_load", "ok"),
    ("e2", "etl_pipeline", "ingest_fuel_prices", 150, 0.003, 0.00015, "cpu_load", "ok"),
    ("e2", "etl_pipeline", files.OUTSIDE_NODES, 50, 0.001, 0.00005, "cpu_load", "ok"),
    ("f1", "forecasting", "train_catboost", 300, 0.005, 0.00025, "cpu_load", "ok"),
    ("f1", "forecasting", files.OUTSIDE_NODES, 60, 0.001, 0.00005, "cpu_load", "ok"),
]

CONFIG: dict[str, Any] = {
    "costs": {
        "electricity_eur_per_kwh": 0.25,
        "cloud_instance_eur_per_hour": 0.36,
        "internal_carbon_price_eur_per_t": 100,
    },
    "grids": {"Testland": {"g_co2e_per_kwh": 100}, "France": {"iso": "FRA", "g_co2e_per_kwh": 1}},
    "pue_values": [1.0, 2.0],
    "green_algorithms": {
        "core_power_w": 12.0,
        "usage_factor": 1.0,
        "memory_power_w_per_gb": 0.3725,
    },
    "budgets_kg": {"etl_pipeline": 0.00015, "forecasting": 0.001},
    "stale_after_days": 30,
    "ram_dominance_share": 0.4,
}
NOW = datetime(2026, 1, 12)


def write_run_file(folder: Path, pipeline: str, runs: list[tuple], columns: list[str]) -> Path:
    path = folder / files.pipeline_file_name(pipeline)
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        for _, run_id, ts, dur, kwh, kg, cpu, ram, cores, mem, pue in runs:
            values = {
                "timestamp": ts, "project_name": "energiewatch", "run_id": run_id,
                "experiment_id": "x", "duration": dur, "emissions": kg,
                "emissions_rate": kg / dur, "cpu_power": 10, "gpu_power": 0, "ram_power": 20,
                "cpu_energy": cpu, "gpu_energy": 0, "ram_energy": ram, "energy_consumed": kwh,
                "water_consumed": 0, "country_name": "France", "country_iso_code": "FRA",
                "cpu_count": cores, "ram_total_size": mem, "pue": pue, "on_cloud": "N",
                "codecarbon_version": "3.3.2", "tracking_mode": "machine",
            }  # fmt: skip
            writer.writerow({c: values.get(c, "") for c in columns})
    return path


def node_rows(nodes: list[tuple], runs: list[tuple] = RUNS) -> list[dict[str, Any]]:
    """Rows of ``emissions_nodes.csv``: a run's orchestration row starts with the run, its nodes
    follow one another after it (the run's end and duration come from ``runs``)."""
    ends = {r[1]: (pd.Timestamp(r[2], tz="UTC"), float(r[3])) for r in runs}
    clock: dict[str, pd.Timestamp] = {}
    outside = {n[0]: float(n[3]) for n in nodes if n[2] == files.OUTSIDE_NODES}
    rows = []
    for run_id, pipeline, node, dur, kwh, kg, measurement, status, *extra in nodes:
        end, run_duration = ends.get(run_id, (pd.Timestamp("2026-01-11T12:00Z"), 0.0))
        start = end - pd.Timedelta(seconds=run_duration)
        if node == files.OUTSIDE_NODES:
            started = start
        else:
            started = clock.get(run_id, start + pd.Timedelta(seconds=outside.get(run_id, 0.0)))
            clock[run_id] = started + pd.Timedelta(seconds=float(dur))
        phase = extra[0] if extra else ("orchestration" if node == files.OUTSIDE_NODES else "")
        rows.append(
            {
                "run_id": run_id, "pipeline": pipeline, "node": node,
                "started_at": started.isoformat(), "duration_s": dur, "energy_kwh": kwh,
                "emissions_kg": kg, "cpu_energy_kwh": "", "ram_energy_kwh": "",
                "gpu_energy_kwh": 0, "measurement": measurement, "country_iso_code": "FRA",
                "status": status, "run_pipeline": extra[1] if len(extra) > 1 else pipeline,
                "phase": phase, "idle_power_w": extra[2] if len(extra) > 2 else "",
            }
        )  # fmt: skip
    return rows


def write_nodes_file(folder: Path, nodes: list[tuple], runs: list[tuple] = RUNS) -> Path:
    return files.append_node_rows(folder, node_rows(NODES + nodes, runs))


@pytest.fixture
def carbon_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "carbon"
    folder.mkdir()
    write_run_file(folder, "etl_pipeline", RUNS[:2], CC3_COLUMNS)
    write_run_file(folder, "forecasting", RUNS[2:], CC3_COLUMNS)
    write_nodes_file(folder, [])
    return folder


def summarise(folder: Path, config: dict[str, Any] | None = None, **kwargs: Any) -> Any:
    data = load_carbon_files(folder)
    return build_summary(data, load_config(config or CONFIG), now=kwargs.pop("now", NOW), **kwargs)


def warnings_of(summary: Any, lang: str = "en") -> str:
    return "\n".join(w[lang] for w in summary.warnings)


def test_latest_node_runs_totals_shares_power_intensity(carbon_dir: Path) -> None:
    summary = summarise(carbon_dir)
    total = summary.totals
    # ingest_fuel_prices counted once, from e2 (the later run) with e2's orchestration; e1's
    # orchestration is not counted (none of its nodes is); f1 whole
    assert total["runs"] == 2 and total["node_runs"] == 2
    assert total["duration_s"] == pytest.approx(150 + 50 + 300 + 60)
    assert total["energy_kwh"] == pytest.approx(0.010)
    assert total["emissions_kg"] == pytest.approx(0.0005)
    assert total["emissions_g"] == pytest.approx(0.5)
    assert total["implied_power_w"] == pytest.approx(0.010 * 3.6e6 / 560)  # 64.29 W
    assert total["implied_intensity_g_per_kwh"] == pytest.approx(50.0)
    assert "overlap: etl_pipeline.ingest_fuel_prices was measured 2 times" in warnings_of(summary)

    pipelines = summary.pipelines.set_index("pipeline")
    assert pipelines.loc["etl_pipeline", "share"] == pytest.approx(0.4)
    assert pipelines.loc["forecasting", "share"] == pytest.approx(0.6)
    assert pipelines.loc["etl_pipeline", "implied_power_w"] == pytest.approx(0.004 * 3.6e6 / 200)
    assert pipelines.loc["forecasting", "emissions_g"] == pytest.approx(0.3)
    assert pipelines.loc["forecasting", "measurement"] == "cpu_load"
    assert pipelines.loc["etl_pipeline", "cost_eur"] == pytest.approx(0.004 * 0.25)

    nodes = summary.nodes.set_index(["pipeline", "node"])
    assert nodes.loc[("forecasting", "train_catboost"), "share"] == pytest.approx(0.5)
    assert nodes.loc[("etl_pipeline", "ingest_fuel_prices"), "share"] == pytest.approx(0.3)
    assert nodes.loc[("etl_pipeline", "ingest_fuel_prices"), "energy_kwh"] == pytest.approx(0.003)
    assert nodes.loc[("etl_pipeline", files.OUTSIDE_NODES), "share"] == pytest.approx(0.1)
    assert nodes.loc[("forecasting", "train_catboost"), "implied_power_w"] == pytest.approx(60.0)
    assert summary.nodes["share"].sum() == pytest.approx(1.0)
    # hints ranked by share, with the phase the catalog gives
    catalog = {
        "train_catboost": NodeInfo("forecasting", "training"),
        "ingest_fuel_prices": NodeInfo("etl_pipeline", "collection"),
    }
    hints = summarise(carbon_dir, catalog=catalog).hints
    assert [h["node"] for h in hints[:2]] == ["train_catboost", "ingest_fuel_prices"]
    assert hints[0]["phase"] == "training" and "early stopping" in hints[0]["levers"]["en"]


def test_phase_totals_equal_the_node_sum(carbon_dir: Path) -> None:
    catalog = {
        "train_catboost": NodeInfo("forecasting", "training"),
        "ingest_fuel_prices": NodeInfo("etl_pipeline", "collection"),
    }
    summary = summarise(carbon_dir, catalog=catalog)
    by_phase = summary.phases.set_index("phase")
    assert list(summary.phases["phase"]) == ["collection", "training", "orchestration"]
    assert by_phase.loc["collection", "energy_kwh"] == pytest.approx(0.003)
    assert by_phase.loc["training", "energy_kwh"] == pytest.approx(0.005)
    assert by_phase.loc["orchestration", "energy_kwh"] == pytest.approx(0.001 + 0.001)
    for column in ("energy_kwh", "emissions_kg", "duration_s", "cost_eur"):
        assert summary.phases[column].sum() == pytest.approx(summary.nodes[column].sum())
        assert summary.phases[column].sum() == pytest.approx(summary.pipelines[column].sum())
    assert summary.phases["energy_kwh"].sum() == pytest.approx(summary.totals["energy_kwh"])
    assert summary.phases["share"].sum() == pytest.approx(1.0)


def test_costs_what_ifs_and_green_algorithms(carbon_dir: Path) -> None:
    summary = summarise(carbon_dir)
    assert summary.costs["electricity_eur"] == pytest.approx(0.010 * 0.25)
    assert summary.costs["cloud_instance_eur"] == pytest.approx(560 / 3600 * 0.36)  # 0.056
    assert summary.costs["internal_carbon_eur"] == pytest.approx(0.0005 / 1000 * 100)
    assert summary.costs["total_eur"] == pytest.approx(0.0025 + 0.056 + 0.00005)

    grids = summary.grids.set_index("grid")
    assert grids.loc["Testland", "emissions_kg"] == pytest.approx(0.010 * 100 / 1000)
    assert grids.loc["Testland", "source"] == "configuration"
    # France comes from CodeCarbon's bundled energy mix, not from the (wrong) fallback of 1
    import codecarbon

    mix = json.loads(
        (Path(codecarbon.__file__).parent / "data/private_infra/global_energy_mix.json").read_text()
    )
    fra = mix["FRA"]["carbon_intensity"]
    assert grids.loc["France", "g_co2e_per_kwh"] == pytest.approx(fra)
    assert grids.loc["France", "emissions_g"] == pytest.approx(0.010 * fra)
    assert (
        summary.intensity["annual_source"] == f"CodeCarbon energy mix FRA (2023): {fra:.4g} g/kWh"
    )

    pue = summary.pue.set_index("pue")
    # IT energy: e2 0.004 / 1.0 + f1 0.006 / 1.5 = 0.008 kWh
    assert pue.loc[1.0, "energy_kwh"] == pytest.approx(0.008)
    assert pue.loc[2.0, "energy_kwh"] == pytest.approx(0.016)
    assert pue.loc[2.0, "emissions_kg"] == pytest.approx(0.016 * 50 / 1000)

    ga = summary.green_algorithms.set_index("pipeline")
    # etl (e2): 200 s x (2 x 12 W + 8 GB x 0.3725 W/GB) x PUE 1.0 = 26.98 W x 200 s
    assert ga.loc["etl_pipeline", "ga_energy_kwh"] == pytest.approx(26.98 * 200 / 3600 / 1000)
    assert ga.loc["etl_pipeline", "ga_emissions_kg"] == pytest.approx(
        26.98 * 200 / 3600 / 1000 * 50 / 1000
    )
    # forecasting (f1): 360 s x (4 x 12 + 16 x 0.3725 = 53.96 W) x PUE 1.5
    expected = 53.96 * 0.1 * 1.5 / 1000
    assert ga.loc["forecasting", "ga_energy_kwh"] == pytest.approx(expected)
    assert ga.loc["forecasting", "ratio_ga_to_codecarbon"] == pytest.approx(expected / 0.006)


def test_measurement_method_uncertainty_and_marginal_energy(tmp_path: Path) -> None:
    folder = tmp_path / "carbon"
    folder.mkdir()
    write_run_file(folder, "forecasting", RUNS[2:], CC3_COLUMNS)
    # idle draw 30 W: train_catboost 300 s = 0.0025 kWh at idle, outside 60 s = 0.0005 kWh
    files.append_node_rows(
        folder,
        node_rows(
            [
                ("f1", "forecasting", "train_catboost", 300, 0.005, 0.00025, "cpu_load", "ok",
                 "training", "forecasting", 30.0),
                ("f1", "forecasting", files.OUTSIDE_NODES, 60, 0.001, 0.00005, "cpu_load", "ok",
                 "orchestration", "forecasting", 30.0),
            ]
        ),
    )  # fmt: skip
    summary = summarise(folder)
    total = summary.totals
    assert total["idle_power_w"] == 30.0
    assert total["marginal_energy_kwh"] == pytest.approx((0.005 - 0.0025) + (0.001 - 0.0005))
    assert total["marginal_emissions_kg"] == pytest.approx(0.003 * 0.05)
    # cpu_load: the band is x0.6 to x1.5 of the estimate
    assert total["methods"] == ["cpu_load"]
    assert (total["energy_low_kwh"], total["energy_high_kwh"]) == (
        pytest.approx(0.006 * 0.6),
        pytest.approx(0.006 * 1.5),
    )
    assert summary.phases.set_index("phase").loc["training", "marginal_energy_kwh"] == (
        pytest.approx(0.0025)
    )


def test_all_runs_and_date_bounds(carbon_dir: Path) -> None:
    all_runs = summarise(carbon_dir, all_runs=True)
    assert all_runs.totals["runs"] == 3 and all_runs.totals["node_runs"] == 3
    assert all_runs.totals["energy_kwh"] == pytest.approx(0.012)
    assert all_runs.totals["duration_s"] == pytest.approx(660)
    etl = all_runs.pipelines.set_index("pipeline").loc["etl_pipeline"]
    assert etl["runs"] == 2 and etl["emissions_kg"] == pytest.approx(0.0003)
    assert etl["share"] == pytest.approx(0.0003 / 0.0006)
    node = all_runs.nodes.set_index(["pipeline", "node"]).loc[
        ("etl_pipeline", "ingest_fuel_prices")
    ]
    assert node["node_runs"] == 2 and node["energy_kwh"] == pytest.approx(0.0046)
    assert not [w for w in all_runs.warnings if w["en"].startswith("overlap")]

    until = summarise(carbon_dir, until=parse_bound("2026-01-10", end=True))
    assert list(until.pipelines["pipeline"]) == ["etl_pipeline"]
    assert until.totals["energy_kwh"] == pytest.approx(0.002)  # e1 only
    since = summarise(carbon_dir, all_runs=True, since=parse_bound("2026-01-11"))
    assert since.totals["runs"] == 2 and since.totals["energy_kwh"] == pytest.approx(0.010)


# -- the Airflow + make run mix -------------------------------------------------------------
# make run (__default__, run "d") at 08:00, then Airflow: the two ETL nodes each in its own run
# ("a1", "a2"), then the fusion + training DAG's fusion task ("f").
MIX_RUNS = [
    # (pipeline file, run_id, end, duration, kWh, kg, cpu, ram, cores, GB, PUE)
    ("etl_pipeline", "d", "2026-01-11T08:10:00", 300, 0.003, 0.00015, 0.001, 0.002, 2, 8, 1.0),
    ("data_fusion_pipeline", "d", "2026-01-11T08:10:00", 200, 0.002, 0.0001, 0, 0, 2, 8, 1.0),
    ("forecasting", "d", "2026-01-11T08:10:00", 400, 0.004, 0.0002, 0, 0, 2, 8, 1.0),
    ("__default__", "d", "2026-01-11T08:10:00", 100, 0.001, 0.00005, 0, 0, 2, 8, 1.0),
    ("etl_pipeline", "a1", "2026-01-11T09:00:10", 10, 0.0002, 0.00001, 0, 0, 2, 8, 1.0),
    ("etl_pipeline", "a2", "2026-01-11T09:01:10", 10, 0.0003, 0.000015, 0, 0, 2, 8, 1.0),
    ("data_fusion_pipeline", "f", "2026-01-11T09:10:00", 150, 0.0016, 0.00008, 0, 0, 2, 8, 1.0),
]
MIX_NODES = [
    # make run: every node once, its orchestration in __default__
    ("d", "__default__", files.OUTSIDE_NODES, 100, 0.001, 0.00005, "cpu_load", "ok",
     "orchestration", "__default__"),
    ("d", "etl_pipeline", "ingest_a", 100, 0.001, 0.00005, "cpu_load", "ok", "", "__default__"),
    ("d", "etl_pipeline", "ingest_b", 200, 0.002, 0.0001, "cpu_load", "ok", "", "__default__"),
    ("d", "data_fusion_pipeline", "build_x", 200, 0.002, 0.0001, "cpu_load", "ok", "",
     "__default__"),
    ("d", "forecasting", "train_m", 400, 0.004, 0.0002, "cpu_load", "ok", "", "__default__"),
    # Airflow: one ETL node per run, each run with its own start-up
    ("a1", "etl_pipeline", files.OUTSIDE_NODES, 6, 0.00012, 0.000006, "cpu_load", "ok"),
    ("a1", "etl_pipeline", "ingest_a", 4, 0.00008, 0.000004, "cpu_load", "ok"),
    ("a2", "etl_pipeline", files.OUTSIDE_NODES, 6, 0.00012, 0.000006, "cpu_load", "ok"),
    ("a2", "etl_pipeline", "ingest_b", 4, 0.00018, 0.000009, "cpu_load", "ok"),
    # the fusion task of the fusion + training DAG
    ("f", "data_fusion_pipeline", files.OUTSIDE_NODES, 30, 0.0004, 0.00002, "cpu_load", "ok"),
    ("f", "data_fusion_pipeline", "build_x", 120, 0.0012, 0.00006, "cpu_load", "ok"),
]  # fmt: skip
MIX_CATALOG = {
    "ingest_a": NodeInfo("etl_pipeline", "collection"),
    "ingest_b": NodeInfo("etl_pipeline", "collection"),
    "ingest_c": NodeInfo("etl_pipeline", "collection"),
    "build_x": NodeInfo("data_fusion_pipeline", "processing"),
    "train_m": NodeInfo("forecasting", "training"),
}


@pytest.fixture
def mix_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "carbon"
    folder.mkdir()
    for pipeline in dict.fromkeys(r[0] for r in MIX_RUNS):
        write_run_file(folder, pipeline, [r for r in MIX_RUNS if r[0] == pipeline], CC3_COLUMNS)
    runs = [(p, r, end, 600 if r == "d" else dur, *rest) for p, r, end, dur, *rest in MIX_RUNS]
    files.append_node_rows(folder, node_rows(MIX_NODES, runs))
    return folder


def test_airflow_runs_beside_make_run_count_each_node_once(mix_dir: Path) -> None:
    """The mix of issue #15: ``make run`` then Airflow's single-node ETL runs and its fusion
    task. Each node counts once (its latest run); the orchestration of ``make run`` only for
    the share of its node energy still counted (train_m); the overlaps are reported."""
    summary = summarise(mix_dir, catalog=MIX_CATALOG)
    nodes = summary.nodes.set_index(["pipeline", "node"])
    assert (nodes["node_runs"] <= 1).all()
    assert nodes.loc[("etl_pipeline", "ingest_a"), "energy_kwh"] == pytest.approx(0.00008)
    assert nodes.loc[("etl_pipeline", "ingest_a"), "ran_in"] == "etl_pipeline"
    assert nodes.loc[("etl_pipeline", "ingest_b"), "energy_kwh"] == pytest.approx(0.00018)
    assert nodes.loc[("data_fusion_pipeline", "build_x"), "energy_kwh"] == pytest.approx(0.0012)
    assert nodes.loc[("forecasting", "train_m"), "ran_in"] == "__default__"
    # make run's orchestration: train_m's share of its node energy 0.004 / 0.009
    default_share = 0.004 / (0.001 + 0.002 + 0.002 + 0.004)
    assert nodes.loc[("__default__", files.OUTSIDE_NODES), "energy_kwh"] == pytest.approx(
        0.001 * default_share
    )
    expected = (
        0.00008 + 0.00018 + 0.0012 + 0.004  # the latest run of each node
        + 0.00012 + 0.00012 + 0.0004  # the Airflow tasks' own start-up, whole
        + 0.001 * default_share  # the counted share of make run's orchestration
    )  # fmt: skip
    assert summary.totals["energy_kwh"] == pytest.approx(expected)
    # "latest run of each pipeline" would have added make run's __default__ and forecasting
    # rows to Airflow's single-node ETL run and fusion run: not what is counted
    naive = 0.0003 + 0.0016 + 0.004 + 0.001
    assert summary.totals["energy_kwh"] != pytest.approx(naive)

    text = warnings_of(summary)
    for node in ("etl_pipeline.ingest_a", "etl_pipeline.ingest_b", "data_fusion_pipeline.build_x"):
        assert f"overlap: {node} was measured 2 times in the window" in text
    assert "counted once, its latest run (etl_pipeline a1" in text
    assert "not counted: __default__ d 2026-01-11" in text
    assert "gap: no measurement in the selection for 1 node(s) of etl_pipeline: ingest_c" in text
    assert "overlapping runs" not in text
    assert "lacune : aucune mesure" in warnings_of(summary, "fr")

    # every node run once, every run's orchestration whole
    cumulative = summarise(mix_dir, catalog=MIX_CATALOG, all_runs=True)
    assert cumulative.totals["energy_kwh"] == pytest.approx(0.010 + 0.0005 + 0.0016)
    assert cumulative.totals["node_runs"] == 7


def test_runs_ending_in_the_same_second_the_last_appended_counts(tmp_path: Path) -> None:
    folder = tmp_path / "carbon"
    folder.mkdir()
    rows = node_rows(
        [
            ("x1", "etl_pipeline", "ingest_a", 1, 0.001, 0.00005, "cpu_load", "ok"),
            ("x2", "etl_pipeline", "ingest_a", 1, 0.002, 0.0001, "cpu_load", "ok"),
        ]
    )
    rows[1]["started_at"] = rows[0]["started_at"]
    files.append_node_rows(folder, rows)
    summary = summarise(folder)
    assert summary.totals["energy_kwh"] == pytest.approx(0.002)


def test_overlap_stale_partial_and_unmeasured_warnings(tmp_path: Path) -> None:
    folder = tmp_path / "carbon"
    folder.mkdir()
    overlapping = list(RUNS[2])
    overlapping[2] = "2026-01-11T10:02:00"  # started 09:56:00, while e2 ran (09:56:40-10:00)
    runs = [*RUNS[:2], tuple(overlapping)]
    write_run_file(folder, "etl_pipeline", RUNS[:2], CC3_COLUMNS)
    write_run_file(folder, "forecasting", [tuple(overlapping)], CC3_COLUMNS)
    write_nodes_file(
        folder,
        [
            ("x9", "clustering", "fit_kmeans", 10, "", "", "skipped-concurrent", "ok"),
            ("o1", "etl_pipeline", "ingest_other", 10, 0.001, 0.00005, "cpu_load", "ok"),
        ],
        runs,
    )
    summary = summarise(folder, now=datetime(2026, 3, 1))
    text = warnings_of(summary)
    assert "overlapping runs: forecasting (f1) and etl_pipeline (e2)" in text
    assert "stale: the counted runs of etl_pipeline" in text
    assert "stale: the counted runs of forecasting" in text
    assert "run o1 (etl_pipeline) has node rows but no row" in text
    assert "1 node run(s) of clustering (skipped-concurrent)" in text

    fresh = summarise(folder, now=datetime(2026, 1, 12))
    assert not any(w["en"].startswith("stale") for w in fresh.warnings)
    assert sum(w["en"].startswith("overlapping") for w in fresh.warnings) == 1


def test_partial_node_rows_are_flagged(tmp_path: Path) -> None:
    folder = tmp_path / "carbon"
    folder.mkdir()
    write_run_file(folder, "forecasting", RUNS[2:], CC3_COLUMNS)
    files.append_node_rows(
        folder,
        node_rows([("f1", "forecasting", "train_catboost", 300, 0.005, 0.00025, "cpu_load", "ok")]),
    )
    summary = summarise(folder)
    assert "add up to 0.005 kWh, the run total is 0.006 kWh" in warnings_of(summary)


def test_bad_files_are_skipped_with_a_warning(carbon_dir: Path) -> None:
    (carbon_dir / "emissions_empty.csv").write_text("")
    (carbon_dir / "emissions_headeronly.csv").write_text(",".join(CC3_COLUMNS) + "\n")
    (carbon_dir / "emissions_nocols.csv").write_text("timestamp,run_id,duration\n2026-01-11,z,3\n")
    bad_value = list(RUNS[2])
    bad_value[0], bad_value[1], bad_value[4] = "clustering", "c1", "abc"
    good_old = ("anomaly_detection", "a1", "2026-01-11T08:00:00", 60, 0.001, 0.00005,
                0.0004, 0.0006, 2, 8, 1.0)  # fmt: skip
    write_run_file(carbon_dir, "clustering", [tuple(bad_value)], CC3_COLUMNS)
    write_run_file(carbon_dir, "anomaly_detection", [good_old], OLD_COLUMNS)
    bad_date = list(RUNS[0])
    bad_date[0], bad_date[1], bad_date[2] = "data_fusion_pipeline", "d1", "yesterday"
    write_run_file(carbon_dir, "data_fusion_pipeline", [tuple(bad_date)], CC3_COLUMNS)

    summary = summarise(carbon_dir)
    text = warnings_of(summary)
    assert "emissions_empty.csv: empty file, skipped" in text
    assert "emissions_headeronly.csv: header but no rows, skipped" in text
    assert "emissions_nocols.csv: missing column(s) emissions, energy_consumed" in text
    assert "emissions_clustering.csv line 2: column 'energy_consumed' is 'abc'" in text
    assert "emissions_data_fusion_pipeline.csv line 2: timestamp 'yesterday'" in text
    # the older CodeCarbon file (no node rows, no cpu_count, ram_total_size, pue) is counted
    # whole and said so
    pipelines = set(summary.pipelines["pipeline"])
    assert pipelines == {"etl_pipeline", "forecasting", "anomaly_detection"}
    assert summary.totals["energy_kwh"] == pytest.approx(0.011)
    assert "partial: run a1 of anomaly_detection has no node rows" in text
    ga = summary.green_algorithms.set_index("pipeline")
    assert pd.isna(ga.loc["anomaly_detection", "cores"])  # no core count in that version


def test_bad_nodes_file_is_skipped_and_the_cli_never_tracebacks(
    carbon_dir: Path, tmp_path: Path
) -> None:
    (carbon_dir / files.NODES_FILE_NAME).write_text("run_id,node\ne2,x\n")
    summary = summarise(carbon_dir)
    assert "emissions_nodes.csv: missing column(s) pipeline" in warnings_of(summary)
    # without node rows each run is counted whole: the latest of each pipeline
    assert summary.totals["energy_kwh"] == pytest.approx(0.010)
    (carbon_dir / "emissions_garbage.csv").write_bytes(b"\xff\xfe\x00\x01garbage\n\x00,\x00")
    config = tmp_path / "config.yml"
    import yaml

    config.write_text(yaml.safe_dump({"carbon_summary": CONFIG}))
    result = _run_script(carbon_dir, tmp_path / "out", config)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert "emissions_nodes.csv: missing column(s)" in result.stdout


def _run_script(
    carbon_dir: Path, out: Path, config: Path, *extra: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), "--carbon-dir", str(carbon_dir), "--out", str(out),
         "--config", str(config), "--no-mlflow", "--no-project", *extra],
        capture_output=True, text=True, timeout=120, cwd=REPO,
    )  # fmt: skip


def test_budget_gate_exit_code_and_report_files(carbon_dir: Path, tmp_path: Path) -> None:
    import yaml

    config = tmp_path / "config.yml"
    config.write_text(yaml.safe_dump({"carbon_summary": CONFIG}))
    out = tmp_path / "reports"
    over = _run_script(carbon_dir, out, config, "--check-budget")
    # e2 emitted 0.2 g against a budget of 0.15 g
    assert over.returncode == 1, over.stdout + over.stderr
    assert (
        "BUDGET EXCEEDED: etl_pipeline run e2 emitted 0.200 g CO2e, budget 0.150 g" in over.stderr
    )
    assert "forecasting" not in over.stderr

    report = json.loads((out / "carbon_summary.json").read_text())
    assert report["budget_exceeded"] is True
    assert report["totals"]["energy_kwh"] == pytest.approx(0.010)
    markdown = (out / "carbon_summary.md").read_text()
    assert markdown.startswith("# EnergieWatch: carbon footprint of the pipelines")
    # readable units: 10 Wh, 500 mg; no exponent anywhere
    assert "Energy: **10.0 Wh**" in markdown and "**500 mg**" in markdown
    assert "e-0" not in markdown and "e+0" not in markdown
    assert "0.25 €/kWh" in markdown  # the cost assumptions are printed
    assert (out / "emissions_per_node.png").stat().st_size > 1000
    assert (out / "emissions_per_phase.png").stat().st_size > 1000
    assert (out / "what_if_grids.png").exists()

    relaxed = dict(CONFIG, budgets_kg={"etl_pipeline": 0.001, "forecasting": 0.001})
    config.write_text(yaml.safe_dump({"carbon_summary": relaxed}))
    within = _run_script(carbon_dir, out, config, "--check-budget")
    assert within.returncode == 0, within.stdout + within.stderr
    assert "2 run(s) checked, none over budget" in within.stdout
    # without the flag the gate never fails the command
    assert _run_script(carbon_dir, out, config).returncode == 0
    bad = _run_script(carbon_dir, out, config, "--since", "not-a-date")
    assert bad.returncode == 2 and "not a date" in bad.stderr


def test_the_report_in_french(carbon_dir: Path, tmp_path: Path) -> None:
    import yaml

    config = tmp_path / "config.yml"
    config.write_text(yaml.safe_dump({"carbon_summary": CONFIG}))
    out = tmp_path / "fr"
    result = _run_script(carbon_dir, out, config, "--lang", "fr")
    assert result.returncode == 0, result.stderr
    markdown = (out / "carbon_summary.md").read_text()
    assert markdown.startswith("# EnergieWatch : empreinte carbone des pipelines")
    assert "## Par phase" in markdown and "## Totaux" in markdown
    assert "Énergie : **10,0 Wh**" in markdown  # decimal comma
    assert "0,25 €/kWh" in markdown
    assert "chevauchement : etl_pipeline.ingest_fuel_prices" in markdown
    assert "== Totaux" in result.stdout


# -- run-time intensity and the day's best hour ---------------------------------------------
def test_run_time_emissions_and_the_days_best_hour(mix_dir: Path) -> None:
    """eco2mix series by hand: 2026-01-11 at 40 g/kWh every quarter-hour, except 03:00-04:00
    Paris at 10 and 09:00-10:00 UTC (10:00-11:00 Paris) at 80."""
    start = pd.Timestamp("2026-01-11T00:00:00+01:00")
    quarters = pd.date_range(start, start + pd.Timedelta(days=1), freq="15min")[:-1]

    def value(q: pd.Timestamp) -> float:
        utc = q.tz_convert("UTC")
        return 10.0 if q.hour == 3 else 80.0 if utc.hour == 9 else 40.0

    series = IntensitySeries.from_frame(
        pd.DataFrame(
            {
                "timestamp_utc": quarters,
                "carbon_intensity_g_per_kwh": [value(q) for q in quarters],
            }
        )
    )
    plans = (
        DagPlan("fusion_training", tasks=(Task("data_fusion_pipeline"), Task("forecasting")),
                triggered_by=("ingest",), deferrable=True),
        DagPlan("ingest", tasks=(Task("etl_pipeline", ("ingest_a",)),), schedule="0 6 * * *"),
    )  # fmt: skip
    summary = summarise(mix_dir, catalog=MIX_CATALOG, intensity=series, plans=plans)
    nodes = summary.nodes.set_index(["pipeline", "node"])
    # build_x ran 09:07:30-09:09:30 UTC (f: 150 s ending 09:10, orchestration 30 s first): 80
    build_x = nodes.loc[("data_fusion_pipeline", "build_x")]
    assert build_x["runtime_emissions_kg"] == pytest.approx(0.0012 * 80 / 1000)
    # make run's nodes ran before 08:10 UTC: 40 g/kWh
    train = nodes.loc[("forecasting", "train_m")]
    assert train["runtime_emissions_kg"] == pytest.approx(0.004 * 40 / 1000)
    intensity = summary.intensity
    assert intensity["available"] and intensity["measured_share"] == pytest.approx(1.0)
    runtime = summary.rows["runtime_emissions_kg"].sum()
    assert intensity["runtime_emissions_kg"] == pytest.approx(runtime)
    assert intensity["difference_kg"] == pytest.approx(runtime - summary.totals["emissions_kg"])

    scheduling = summary.scheduling.set_index("run_id")
    # deferrable work (fusion, forecasting) per run, its orchestration included; the day's
    # best hour is 03:00 at 10 g/kWh
    assert set(scheduling.index) == {"d", "f"}
    assert scheduling.loc["f", "best_hour_local"] == 3
    assert scheduling.loc["f", "energy_kwh"] == pytest.approx(0.0016)
    assert scheduling.loc["f", "runtime_emissions_kg"] == pytest.approx(0.0016 * 80 / 1000)
    assert scheduling.loc["f", "best_hour_emissions_kg"] == pytest.approx(0.0016 * 10 / 1000)
    assert scheduling.loc["f", "saving_share"] == pytest.approx(1 - 10 / 80)


# -- yearly projection ----------------------------------------------------------------------
def test_yearly_projection_from_a_fixture_schedule(mix_dir: Path) -> None:
    plans = (
        DagPlan("ingest_daily", schedule="0 6 * * *",
                tasks=(Task("etl_pipeline", ("ingest_a",)), Task("etl_pipeline", ("ingest_b",)))),
        DagPlan("ingest_weekly", schedule="0 7 * * 1", tasks=(Task("etl_pipeline", ("ingest_c",)),)),
        DagPlan("fusion_training", triggered_by=("ingest_daily", "ingest_weekly"),
                tasks=(Task("data_fusion_pipeline"), Task("forecasting")), deferrable=True),
    )  # fmt: skip
    summary = summarise(mix_dir, catalog=MIX_CATALOG, plans=plans, config=CONFIG)
    projection = summary.projection.set_index("dag_id")
    # daily: ingest_a and ingest_b from their Airflow runs, each with its run's whole start-up
    daily = projection.loc["ingest_daily"]
    per_run = (0.00008 + 0.00012) + (0.00018 + 0.00012)
    assert daily["runs_per_year"] == 365
    assert daily["energy_per_run_kwh"] == pytest.approx(per_run)
    assert daily["energy_kwh_per_year"] == pytest.approx(365 * per_run)
    assert daily["emissions_kg_per_year"] == pytest.approx(365 * per_run * 0.05)
    assert daily["cost_eur_per_year"] == pytest.approx(365 * per_run * 0.25)
    # weekly: 52 Mondays in 2025; its node never measured
    weekly = projection.loc["ingest_weekly"]
    assert weekly["runs_per_year"] == 52 and weekly["nodes_missing"] == "ingest_c"
    assert pd.isna(weekly["energy_kwh_per_year"])
    # triggered by both: at most as often as the weekly one; build_x from its fusion task
    # (whole start-up), train_m from make run (its share of make run's orchestration)
    fusion = projection.loc["fusion_training"]
    assert fusion["runs_per_year"] == 52
    share = 0.004 / 0.009
    assert fusion["energy_per_run_kwh"] == pytest.approx(0.0012 + 0.0004 + 0.004 + 0.001 * share)


def test_runs_per_year_of_cron_schedules() -> None:
    from data_collection_kedro.schedules import cron_runs_per_year

    assert cron_runs_per_year("15 * * * *") == 8760
    assert cron_runs_per_year("0 6 * * *") == 365
    assert cron_runs_per_year("0 7 * * 1") == 52
    assert cron_runs_per_year("@yearly") == 1


# -- trade-off ------------------------------------------------------------------------------
def _mlflow_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    return pd.DataFrame(rows).assign(start_time=lambda f: pd.to_datetime(f["start_time"]))


def test_the_tradeoff_takes_the_latest_run_of_each_model_and_the_baselines(
    carbon_dir: Path,
) -> None:
    config = load_config({**CONFIG, "tradeoff": {"fit_nodes": {"clustering_dbscan": "fit_db"}}})
    runs = _mlflow_frame(
        [
            # an older run of catboost (better MAPE): the latest one counts
            {"run_id": "c0", "start_time": "2026-01-01", "tags.model_key": "catboost",
             "metrics.test_mape": 3.0, "metrics.training_emissions_kg": 0.0001,
             "metrics.training_duration_s": 10.0},
            {"run_id": "c1", "start_time": "2026-01-10", "tags.model_key": "catboost",
             "metrics.test_mape": 5.0, "metrics.training_emissions_kg": 0.0002,
             "metrics.training_energy_kwh": 0.004, "metrics.training_duration_s": 20.0},
            # a later run reused c1's model (trained nothing): c1 keeps the cost and the metric
            {"run_id": "c2", "start_time": "2026-01-11", "tags.model_key": "catboost",
             "tags.reused": "true", "metrics.test_mape": 5.5},
            {"run_id": "r1", "start_time": "2026-01-10", "tags.model_key": "random_forest",
             "metrics.test_mape": 6.0, "metrics.training_emissions_kg": 0.00005,
             "metrics.training_duration_s": 5.0},
            {"run_id": "b1", "start_time": "2026-01-10", "tags.model_key": "big_forest",
             "metrics.test_mape": 7.0, "metrics.training_emissions_kg": 0.0001,
             "metrics.training_duration_s": 9.0},
            {"run_id": "k1", "start_time": "2026-01-10", "tags.model_key": "clustering_kmeans",
             "metrics.all_silhouette": 0.4, "metrics.training_emissions_kg": 0.00005},
            {"run_id": "i1", "start_time": "2026-01-10",
             "tags.model_key": "anomaly_isolationforest", "metrics.validation_f1": 0.6,
             "metrics.training_emissions_kg": 0.00003},
            # parent runs: the baselines and a model fitted inside another node
            {"run_id": "p0", "start_time": "2026-01-01",
             "metrics.baseline_persistence.test_mape": 4.0},
            {"run_id": "p1", "start_time": "2026-01-10",
             "metrics.baseline_persistence.test_mape": 9.0,
             "metrics.baseline_persistence.validation_mape": 1.0,
             "metrics.clustering_dbscan.all_silhouette": 0.3, "metrics.nodes_energy_kwh": 0.01},
        ]
    )  # fmt: skip
    node_rows_frame = pd.DataFrame(
        [{"node": "fit_db", "duration_s": 3.0, "energy_kwh": 0.0002, "emissions_kg": 0.00001}]
    )
    table = tradeoff_table(runs, config, node_rows_frame).set_index("model")
    assert set(table.index) == {
        "catboost", "random_forest", "big_forest", "clustering_kmeans",
        "anomaly_isolationforest", "baseline_persistence", "clustering_dbscan",
    }  # fmt: skip
    # the latest run of each model and of each baseline
    assert table.loc["catboost", "run_id"] == "c1" and table.loc["catboost", "value"] == 5.0
    assert table.loc["catboost", "training_duration_s"] == 20.0
    assert table.loc["baseline_persistence", "value"] == 9.0
    assert table.loc["baseline_persistence", "kind"] == "baseline"
    assert table.loc["baseline_persistence", "training_emissions_kg"] == 0.0
    assert table.loc["anomaly_isolationforest", "task"] == "anomaly_detection"
    # MAPE, lower is better: the free baseline is on the front (nothing is cheaper), catboost
    # (best MAPE) too; random_forest is cheaper than big_forest and better: big_forest is off
    assert table.loc["catboost", "pareto"] and table.loc["baseline_persistence", "pareto"]
    assert table.loc["random_forest", "pareto"] and not table.loc["big_forest", "pareto"]
    # silhouette, higher is better: dbscan's cost is the node it is fitted in (upper bound)
    assert table.loc["clustering_dbscan", "kind"].endswith("fit_db (upper bound)")
    assert table.loc["clustering_dbscan", "training_emissions_kg"] == pytest.approx(0.00001)
    assert table.loc["clustering_kmeans", "pareto"] and table.loc["clustering_dbscan", "pareto"]

    # the chart: one panel per task, written
    summary = summarise(carbon_dir)
    summary.tradeoff = table.reset_index()
    out = carbon_dir / "chart.png"
    tradeoff_chart(summary, out, "en")
    assert out.stat().st_size > 10_000


def test_the_tradeoff_compares_each_forecast_series_apart_and_never_picks_an_upper_bound(
    carbon_dir: Path,
) -> None:
    """The project's tasks (parameters_carbon_summary.yml): a national and a regional model are
    on their own fronts; the same model fed the observed weather is shown, never chosen."""
    import yaml

    params = REPO_ROOT / "data-collection-kedro" / "conf" / "base" / "parameters_carbon_summary.yml"
    tradeoff = yaml.safe_load(params.read_text(encoding="utf-8"))["carbon_summary"]["tradeoff"]
    config = load_config({"tradeoff": tradeoff})
    runs = _mlflow_frame(
        [
            {"run_id": "n1", "start_time": "2026-01-10",
             "tags.model_key": "day_ahead_electricity_national", "metrics.test_mape": 1.2,
             "metrics.training_emissions_kg": 0.0002, "metrics.training_duration_s": 15.0},
            {"run_id": "r1", "start_time": "2026-01-10",
             "tags.model_key": "day_ahead_electricity_regional", "metrics.test_mape": 2.2,
             "metrics.training_emissions_kg": 0.0001, "metrics.training_duration_s": 60.0},
            {"run_id": "p1", "start_time": "2026-01-10",
             "metrics.day_ahead_electricity_national_oracle_weather.test_mape": 1.0,
             "metrics.baseline_persistence_electricity_national.test_mape": 8.0,
             "metrics.baseline_persistence_electricity_regional.test_mape": 8.5},
        ]
    )  # fmt: skip
    table = tradeoff_table(runs, config).set_index("model")
    assert table["series"].to_dict() == {
        "day_ahead_electricity_national": "electricity_national",
        "day_ahead_electricity_national_oracle_weather": "electricity_national",
        "baseline_persistence_electricity_national": "electricity_national",
        "day_ahead_electricity_regional": "electricity_regional",
        "baseline_persistence_electricity_regional": "electricity_regional",
    }
    # one task, two series: the regional model (cheaper, worse) does not push the national one
    # off, nor does the national one (better) push the regional one off
    assert table.loc["day_ahead_electricity_national", "pareto"]
    assert table.loc["day_ahead_electricity_regional", "pareto"]
    oracle = table.loc["day_ahead_electricity_national_oracle_weather"]
    assert oracle["kind"] == "upper bound, not available to users" and not oracle["pareto"]

    summary = summarise(carbon_dir)
    summary.tradeoff = table.reset_index()
    out = carbon_dir / "chart.png"
    tradeoff_chart(summary, out, "fr")
    assert out.stat().st_size > 10_000


def test_tradeoff_from_mlflow_and_usage_section_end_to_end(tmp_path: Path) -> None:
    """A real MLflow store (SQLite) and a real DuckDB model_monitoring table, through the CLI."""
    import duckdb
    import mlflow
    import yaml

    folder = tmp_path / "carbon"
    folder.mkdir()
    write_run_file(folder, "forecasting", RUNS[2:], CC3_COLUMNS)
    files.append_node_rows(
        folder,
        node_rows(
            [
                ("f1", "forecasting", "train_day_ahead_gas_regional", 200, 0.004, 0.0002,
                 "cpu_load", "ok"),
                ("f1", "forecasting", "forecast_next_days", 100, 0.000546, 0.0000273, "cpu_load",
                 "ok"),
                ("f1", "forecasting", files.OUTSIDE_NODES, 60, 0.001454, 0.0000727, "cpu_load",
                 "ok"),
            ]
        ),
    )  # fmt: skip
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    mlflow.set_tracking_uri(uri)
    mlflow.set_experiment("energiewatch")
    for name, mape, kwh in (("catboost", 5.0, 0.004), ("random_forest", 8.0, 0.006)):
        with mlflow.start_run(run_name=name):
            mlflow.set_tag("model_key", name)
            mlflow.log_metrics(
                {"test_mape": mape, "training_energy_kwh": kwh, "training_emissions_kg": kwh * 0.05,
                 "training_duration_s": 100.0}
            )  # fmt: skip
    db = tmp_path / "store.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute(
            "CREATE TABLE model_monitoring (prediction_id VARCHAR, logged_at TIMESTAMP, "
            "application VARCHAR, page VARCHAR, model_name VARCHAR, model_version VARCHAR, "
            "n_predictions INTEGER, response_time_ms DOUBLE, cpu_percent DOUBLE, "
            "memory_mb DOUBLE, status VARCHAR, error_type VARCHAR, error_message VARCHAR)"
        )
        for i, (n, status) in enumerate(((100, "success"), (50, "success"), (10, "error"))):
            con.execute(
                "INSERT INTO model_monitoring VALUES (?, now(), 'dashboard', 'forecast', "
                "'energiewatch-day-ahead-gas-regional', '1', ?, 12.0, 5.0, 300.0, ?, NULL, NULL)",
                [f"p{i}", n, status],
            )
    usage = yaml.safe_load(
        (REPO / "data-collection-kedro/conf/base/parameters_usage.yml").read_text()
    )["usage"]
    config = tmp_path / "config.yml"
    config.write_text(yaml.safe_dump({"carbon_summary": CONFIG, "usage": usage}))
    out = tmp_path / "reports"
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--carbon-dir", str(folder), "--out", str(out),
         "--config", str(config), "--mlflow-uri", uri, "--duckdb", str(db), "--quiet",
         "--no-project"],
        capture_output=True, text=True, timeout=300, cwd=REPO,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads((out / "carbon_summary.json").read_text())
    tradeoff = {row["model"]: row for row in report["tradeoff"]}
    assert set(tradeoff) == {"catboost", "random_forest"}
    assert tradeoff["catboost"]["pareto"] and not tradeoff["random_forest"]["pareto"]
    assert tradeoff["random_forest"]["training_energy_kwh"] == pytest.approx(0.006)
    assert (out / "tradeoff_pareto.png").stat().st_size > 1000
    # no eco2mix table in that store: said so, the rest of the report is there
    assert any("run-time intensity not computed" in w for w in report["warnings"])

    usage_rows = {row["model"]: row for row in report["usage"]}
    day_ahead = usage_rows["energiewatch-day-ahead-gas-regional"]
    assert day_ahead["predictions"] == 150  # the failed request does not count
    per_prediction = (
        0.000546
        / usage["measured_models"]["energiewatch-day-ahead-gas-regional"]["predictions_per_run"]
    )
    assert day_ahead["inference_kwh"] == pytest.approx(150 * per_prediction)
    assert day_ahead["training_kwh"] == pytest.approx(0.004)
    assert day_ahead["break_even_predictions"] == pytest.approx(0.004 / per_prediction)


def test_minimal_codecarbon_columns_and_an_empty_folder(tmp_path: Path) -> None:
    folder = tmp_path / "carbon"
    folder.mkdir()
    minimal = ["timestamp", "run_id", "duration", "emissions", "energy_consumed"]
    write_run_file(folder, "clustering", [RUNS[2]], minimal)
    summary = summarise(folder)
    assert summary.totals["energy_kwh"] == pytest.approx(0.006)
    assert summary.pipelines.loc[0, "implied_power_w"] == pytest.approx(0.006 * 3.6e6 / 360)
    assert "has no node rows" in warnings_of(summary)
    # nothing measured yet: an empty summary, no exception
    empty = summarise(tmp_path / "missing")
    assert empty.totals["runs"] == 0 and empty.totals["energy_kwh"] == 0
    assert "no carbon folder" in warnings_of(empty)
