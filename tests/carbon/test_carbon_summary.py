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
from data_collection_kedro.carbon.summary import build_summary, load_carbon_files, load_config
from data_collection_kedro.carbon.summary.compute import parse_bound
from data_collection_kedro.carbon.summary.tradeoff import pareto_flags, tradeoff_table
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


def write_nodes_file(folder: Path, nodes: list[tuple]) -> Path:
    rows = [
        {
            "run_id": run_id,
            "pipeline": pipeline,
            "node": node,
            "started_at": "2026-01-11T09:00:00+00:00",
            "duration_s": dur,
            "energy_kwh": kwh,
            "emissions_kg": kg,
            "cpu_energy_kwh": "",
            "ram_energy_kwh": "",
            "gpu_energy_kwh": 0,
            "measurement": measurement,
            "country_iso_code": "FRA",
            "status": status,
        }  # fmt: skip
        for run_id, pipeline, node, dur, kwh, kg, measurement, status in NODES + nodes
        if not nodes or (run_id, pipeline, node) not in {(n[0], n[1], n[2]) for n in NODES}
    ]
    return files.append_node_rows(folder, rows)


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


def test_latest_run_totals_shares_power_intensity(carbon_dir: Path) -> None:
    summary = summarise(carbon_dir)
    assert summary.warnings == []
    total = summary.totals
    # latest runs: e2 (200 s, 0.004 kWh, 0.0002 kg) + f1 (360 s, 0.006 kWh, 0.0003 kg)
    assert total["runs"] == 2
    assert total["duration_s"] == pytest.approx(560)
    assert total["energy_kwh"] == pytest.approx(0.010)
    assert total["emissions_kg"] == pytest.approx(0.0005)
    assert total["emissions_g"] == pytest.approx(0.5)
    assert total["implied_power_w"] == pytest.approx(0.010 * 3.6e6 / 560)  # 64.29 W
    assert total["implied_intensity_g_per_kwh"] == pytest.approx(50.0)

    pipelines = summary.pipelines.set_index("pipeline")
    assert pipelines.loc["etl_pipeline", "share"] == pytest.approx(0.4)
    assert pipelines.loc["forecasting", "share"] == pytest.approx(0.6)
    assert pipelines.loc["etl_pipeline", "implied_power_w"] == pytest.approx(0.004 * 3.6e6 / 200)
    assert pipelines.loc["forecasting", "emissions_g"] == pytest.approx(0.3)
    assert pipelines.loc["forecasting", "measurement"] == "cpu_load"

    nodes = summary.nodes.set_index(["pipeline", "node"])
    assert nodes.loc[("forecasting", "train_catboost"), "share"] == pytest.approx(0.5)
    assert nodes.loc[("etl_pipeline", "ingest_fuel_prices"), "share"] == pytest.approx(0.3)
    assert nodes.loc[("etl_pipeline", "ingest_fuel_prices"), "energy_kwh"] == pytest.approx(0.003)
    assert nodes.loc[("etl_pipeline", files.OUTSIDE_NODES), "share"] == pytest.approx(0.1)
    assert nodes.loc[("forecasting", "train_catboost"), "implied_power_w"] == pytest.approx(60.0)
    assert summary.nodes["share"].sum() == pytest.approx(1.0)
    # hints ranked by share, training first, with its levers
    assert summary.hints[0]["node"] == "train_catboost"
    assert summary.hints[0]["phase"] == "model training"
    assert summary.hints[1]["phase"] == "ingestion"


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

    pue = summary.pue.set_index("pue")
    # IT energy: e2 0.004 / 1.0 + f1 0.006 / 1.5 = 0.008 kWh
    assert pue.loc[1.0, "energy_kwh"] == pytest.approx(0.008)
    assert pue.loc[2.0, "energy_kwh"] == pytest.approx(0.016)
    assert pue.loc[2.0, "emissions_kg"] == pytest.approx(0.016 * 50 / 1000)

    ga = summary.green_algorithms.set_index("run_id")
    # e2: 200 s x (2 x 12 W + 8 GB x 0.3725 W/GB) x PUE 1.0 = 26.98 W x 200 s
    assert ga.loc["e2", "ga_energy_kwh"] == pytest.approx(26.98 * 200 / 3600 / 1000)
    assert ga.loc["e2", "ga_emissions_kg"] == pytest.approx(26.98 * 200 / 3600 / 1000 * 50 / 1000)
    # f1: 360 s x (4 x 12 + 16 x 0.3725 = 53.96 W) x PUE 1.5
    assert ga.loc["f1", "ga_energy_kwh"] == pytest.approx(53.96 * 0.1 * 1.5 / 1000)
    assert ga.loc["f1", "ratio_ga_to_codecarbon"] == pytest.approx(53.96 * 0.1 * 1.5 / 1000 / 0.006)

    # RAM = (0.003 + 0.002) / 0.010 = 50 % > the configured 40 %: the report says so
    assert any("RAM accounts for 50%" in note for note in summary.measurement_notes)
    assert any(note.startswith("cpu_load:") for note in summary.measurement_notes)


def test_all_runs_and_date_bounds(carbon_dir: Path) -> None:
    all_runs = summarise(carbon_dir, all_runs=True)
    assert all_runs.totals["runs"] == 3
    assert all_runs.totals["energy_kwh"] == pytest.approx(0.012)
    assert all_runs.totals["duration_s"] == pytest.approx(660)
    etl = all_runs.pipelines.set_index("pipeline").loc["etl_pipeline"]
    assert etl["runs"] == 2 and etl["emissions_kg"] == pytest.approx(0.0003)
    assert etl["share"] == pytest.approx(0.0003 / 0.0006)
    node = all_runs.nodes.set_index(["pipeline", "node"]).loc[
        ("etl_pipeline", "ingest_fuel_prices")
    ]
    assert node["runs"] == 2 and node["energy_kwh"] == pytest.approx(0.0046)

    until = summarise(carbon_dir, until=parse_bound("2026-01-10", end=True))
    assert list(until.pipelines["pipeline"]) == ["etl_pipeline"]
    assert until.totals["energy_kwh"] == pytest.approx(0.002)  # e1 only
    since = summarise(carbon_dir, all_runs=True, since=parse_bound("2026-01-11"))
    assert since.totals["runs"] == 2 and since.totals["energy_kwh"] == pytest.approx(0.010)


def test_overlap_stale_partial_and_unmeasured_warnings(tmp_path: Path) -> None:
    folder = tmp_path / "carbon"
    folder.mkdir()
    overlapping = list(RUNS[2])
    overlapping[2] = "2026-01-11T10:02:00"  # started 09:56:00, while e2 ran (09:56:40-10:00)
    write_run_file(folder, "etl_pipeline", RUNS[:2], CC3_COLUMNS)
    write_run_file(folder, "forecasting", [tuple(overlapping)], CC3_COLUMNS)
    write_nodes_file(
        folder,
        [
            ("x9", "clustering", "fit_kmeans", 10, "", "", "skipped-concurrent", "ok"),
            ("o1", "etl_pipeline", "ingest_fuel_prices", 10, 0.001, 0.00005, "cpu_load", "ok"),
        ],
    )
    summary = summarise(folder, now=datetime(2026, 3, 1))
    text = "\n".join(summary.warnings)
    assert "overlapping runs: forecasting (f1) and etl_pipeline (e2)" in text
    assert "stale: the latest run of etl_pipeline" in text
    assert "stale: the latest run of forecasting" in text
    assert "run o1 (etl_pipeline) has node rows but no row" in text
    assert "1 node run(s) of clustering (skipped-concurrent)" in text

    fresh = summarise(folder, now=datetime(2026, 1, 12))
    assert not any(w.startswith("stale") for w in fresh.warnings)
    # e1 and e2 do not overlap
    assert sum(w.startswith("overlapping") for w in fresh.warnings) == 1


def test_partial_node_rows_are_flagged(tmp_path: Path) -> None:
    folder = tmp_path / "carbon"
    folder.mkdir()
    write_run_file(folder, "forecasting", RUNS[2:], CC3_COLUMNS)
    files.append_node_rows(
        folder,
        [{"run_id": "f1", "pipeline": "forecasting", "node": "train_catboost",
          "started_at": "2026-01-11T11:54:00+00:00", "duration_s": 300, "energy_kwh": 0.005,
          "emissions_kg": 0.00025, "measurement": "cpu_load", "status": "ok"}],
    )  # fmt: skip
    summary = summarise(folder)
    assert any("add up to 0.005 kWh, the run total is 0.006 kWh" in w for w in summary.warnings)


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
    text = "\n".join(summary.warnings)
    assert "emissions_empty.csv: empty file, skipped" in text
    assert "emissions_headeronly.csv: header but no rows, skipped" in text
    assert "emissions_nocols.csv: missing column(s) emissions, energy_consumed" in text
    assert "emissions_clustering.csv line 2: column 'energy_consumed' is 'abc'" in text
    assert "emissions_data_fusion_pipeline.csv line 2: timestamp 'yesterday'" in text
    # the older CodeCarbon file (no cpu_count, ram_total_size, pue) loads and is summarised
    pipelines = set(summary.pipelines["pipeline"])
    assert pipelines == {"etl_pipeline", "forecasting", "anomaly_detection"}
    assert summary.totals["energy_kwh"] == pytest.approx(0.011)
    ga = summary.green_algorithms.set_index("run_id")
    assert pd.isna(ga.loc["a1", "ga_energy_kwh"])  # no core count in that version's file


def test_bad_nodes_file_is_skipped_and_the_cli_never_tracebacks(
    carbon_dir: Path, tmp_path: Path
) -> None:
    (carbon_dir / files.NODES_FILE_NAME).write_text("run_id,node\ne2,x\n")
    summary = summarise(carbon_dir)
    assert any("emissions_nodes.csv: missing column(s) pipeline" in w for w in summary.warnings)
    assert summary.totals["energy_kwh"] == pytest.approx(0.010)  # run files still summarised
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
         "--config", str(config), "--no-mlflow", *extra],
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
    assert (out / "carbon_summary.md").read_text().startswith("# EnergieWatch carbon summary")
    assert (out / "emissions_per_node.png").stat().st_size > 1000
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


def test_tradeoff_table_and_pareto_front() -> None:
    config = load_config(CONFIG)
    runs = pd.DataFrame(
        [
            {"run_id": "1", "tags.mlflow.runName": "catboost", "metrics.test_mape": 0.05,
             "metrics.training_energy_kwh": 0.004, "metrics.training_emissions_kg": 0.0002},
            {"run_id": "2", "tags.mlflow.runName": "random_forest", "metrics.test_mape": 0.06,
             "metrics.training_energy_kwh": 0.001, "metrics.training_emissions_kg": 0.00005},
            {"run_id": "3", "tags.mlflow.runName": "ridge_big", "metrics.test_mape": 0.07,
             "metrics.training_energy_kwh": 0.002, "metrics.training_emissions_kg": 0.0001},
            {"run_id": "4", "tags.mlflow.runName": "kmeans", "metrics.test_silhouette": 0.4,
             "metrics.energy_kwh": 0.001, "metrics.emissions_kg": 0.00005},
            {"run_id": "5", "tags.mlflow.runName": "dbscan", "metrics.test_silhouette": 0.3,
             "metrics.energy_kwh": 0.002, "metrics.emissions_kg": 0.0001},
            {"run_id": "6", "tags.mlflow.runName": "parent", "metrics.nodes_energy_kwh": 0.01},
        ]
    )  # fmt: skip
    table = tradeoff_table(runs, config).set_index("model")
    assert "parent" not in table.index  # no test metric: not a model run
    # MAPE (lower is better): ridge_big is both worse and dearer than random_forest
    assert table.loc["catboost", "pareto"] and table.loc["random_forest", "pareto"]
    assert not table.loc["ridge_big", "pareto"]
    # silhouette (higher is better): kmeans is better and cheaper than dbscan
    assert table.loc["kmeans", "pareto"] and not table.loc["dbscan", "pareto"]
    assert table.loc["kmeans", "energy_kwh"] == pytest.approx(0.001)
    assert pareto_flags(table.iloc[:0].reset_index(), config) == []


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
        [
            {"run_id": "f1", "pipeline": "forecasting", "node": node, "started_at":
             "2026-01-11T11:54:00+00:00", "duration_s": dur, "energy_kwh": kwh,
             "emissions_kg": kwh * 0.05, "measurement": "cpu_load", "status": "ok"}
            for node, dur, kwh in (("train_day_ahead_gas_regional", 200, 0.004),
                                   ("forecast_next_days", 100, 0.000546),
                                   (files.OUTSIDE_NODES, 60, 0.001454))
        ],
    )  # fmt: skip
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    mlflow.set_tracking_uri(uri)
    mlflow.set_experiment("energiewatch")
    for name, mape, kwh in (("catboost", 0.05, 0.004), ("random_forest", 0.08, 0.006)):
        with mlflow.start_run(run_name=name):
            mlflow.log_metrics(
                {"test_mape": mape, "training_energy_kwh": kwh, "training_emissions_kg": kwh * 0.05}
            )
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
         "--config", str(config), "--mlflow-uri", uri, "--duckdb", str(db), "--quiet"],
        capture_output=True, text=True, timeout=300, cwd=REPO,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads((out / "carbon_summary.json").read_text())
    tradeoff = {row["model"]: row for row in report["tradeoff"]}
    assert set(tradeoff) == {"catboost", "random_forest"}
    assert tradeoff["catboost"]["pareto"] and not tradeoff["random_forest"]["pareto"]
    assert tradeoff["random_forest"]["energy_kwh"] == pytest.approx(0.006)
    assert (out / "tradeoff_pareto.png").stat().st_size > 1000

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
    assert any("has no node rows" in w for w in summary.warnings)
    # nothing measured yet: an empty summary, no exception
    empty = summarise(tmp_path / "missing")
    assert empty.totals["runs"] == 0 and empty.totals["energy_kwh"] == 0
    assert any("no carbon folder" in w for w in empty.warnings)


def test_latest_run_of_runs_ending_in_the_same_second_is_the_last_appended() -> None:
    from data_collection_kedro.carbon.summary import select_runs

    runs = pd.DataFrame(
        {
            "pipeline": ["etl_pipeline"] * 3 + ["forecasting"],
            "run_id": ["a", "b", "c", "f"],
            "ended": pd.to_datetime(["2026-01-10T10:00:00"] * 3 + ["2026-01-10T09:00:00"]),
        }
    )
    assert list(select_runs(runs)["run_id"]) == ["c", "f"]
