"""The summary ``make run`` ends with (``python -m data_collection_kedro.reporting.run_report``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from data_collection_kedro.reporting import run_report
from tests.support.synthetic_indices import store_meteo_consommation


def persisted_outputs(pipeline_name: str) -> set[str]:
    """The outputs of a registered pipeline that the catalog declares (not in-memory)."""
    from kedro.framework.project import pipelines
    from kedro.framework.startup import bootstrap_project

    from tests.support.paths import KEDRO_PROJECT

    bootstrap_project(KEDRO_PROJECT)
    _, catalog = run_report.project_config(None)
    outputs = pipelines[pipeline_name].all_outputs()
    declared = run_report.catalog_entries(catalog, outputs)
    return {
        name
        for name, config in declared.items()
        if config and "MemoryDataset" not in str(config.get("type"))
    }


def test_the_report_lists_every_output_of_the_run_with_its_rows(
    data_dir: Path, run_pipeline: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    store_meteo_consommation(data_dir)
    run_pipeline("clustering")
    capsys.readouterr()

    assert run_report.main([]) == 0
    report = capsys.readouterr().out
    expected = persisted_outputs("clustering")
    assert expected == {
        "region_profiles",
        "clustering_kmeans_model",
        "region_clusters",
        "model_metrics_clustering",
    }
    for name in expected:
        assert name in report, (name, report)
    lines = {line.split()[0]: line.split() for line in report.splitlines() if line.strip()}
    # region_clusters: KMeans and DBSCAN for each of the 3 regions, all new
    assert lines["region_clusters"][1:4] == ["region_clusters", "6", "6"]
    assert lines["model_metrics_clustering"][1] == "model_metrics"
    assert lines["region_profiles"][1] == "3"  # a file: its rows, then its path
    assert "Quarantined rows: 0" in report
    assert "clustering_kmeans: silhouette" in report
    assert "pipeline clustering: OK" in report
    assert "Energy and emissions:" in report and " Wh, " in report
    for command in ("make dashboard", "make carbon-report", "make airflow", "make viz"):
        assert command in report


def test_a_failed_run_and_missing_figures_are_said_plainly() -> None:
    summary = {
        "run_id": "r1",
        "pipeline": "etl_pipeline",
        "status": "failed",
        "error": "DatasetError: table locked",
        "started_at": "2024-01-01T00:00:00",
        "ended_at": "2024-01-01T00:01:00",
        "datasets": {"raw_strikes": {"saves": 1, "rows": 10, "inserted": None}},
        "quarantined_rows": None,
        "energy": {"measurement": "disabled", "energy_kwh": None},
    }
    outputs = run_report.run_outputs(
        summary, {"raw_strikes": {"type": "x.DuckDBTableDataset", "table": "raw_strikes"}}
    )
    text = run_report.render(summary, outputs, None)
    assert "FAILED (DatasetError: table locked)" in text
    assert "Quarantined rows: unknown" in text
    assert "not measured (disabled)" in text
    assert "Models" not in text  # nothing was trained in this run


def test_models_against_the_best_baseline() -> None:
    metrics = pd.DataFrame(
        {
            "model": ["day_ahead", "baseline_persistence", "baseline_hdd", "day_ahead"],
            "split": ["test", "test", "test", "validation"],
            "metric": ["mape", "mape", "mape", "mape"],
            "value": [4.0, 12.0, 10.0, 3.0],
        }
    )
    lines = "\n".join(run_report.model_lines(metrics))
    row = next(line for line in lines.splitlines() if line.strip().startswith("day_ahead"))
    assert row.split() == ["day_ahead", "4.00", "%", "baseline_hdd", "10.00", "%", "+60", "%"]
