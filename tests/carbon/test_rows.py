"""Row building of the carbon files: which pipeline a node belongs to, per-pipeline run rows."""

from __future__ import annotations

from typing import Any

import pytest
from kedro.pipeline import Pipeline, node

from data_collection_kedro.carbon import files
from data_collection_kedro.carbon.codecarbon_adapter import EnergyReading
from data_collection_kedro.carbon.rows import (
    node_row,
    outside_row,
    pipeline_run_rows,
    pipelines_of_nodes,
)


def _identity(x: Any) -> Any:
    return x


def _other(x: Any) -> Any:
    return x


def test_a_node_belongs_to_the_first_registered_pipeline_holding_it() -> None:
    ingest = node(_identity, "a", "b", name="ingest")
    fuse = node(_identity, "b", "c", name="fuse")
    train = node(_identity, "c", "d", name="train")
    lone = node(_identity, "x", "y", name="lone")
    registry = [
        ("__default__", Pipeline([train])),  # never a node's pipeline
        ("etl", Pipeline([ingest])),
        ("fusion", Pipeline([fuse])),
        ("fusion_and_training", Pipeline([fuse, train])),  # fuse is fusion's: registered first
    ]
    run_nodes = [ingest, fuse, train, lone]
    assert pipelines_of_nodes(run_nodes, registry, "__default__") == {
        "ingest": "etl",
        "fuse": "fusion",
        "train": "fusion_and_training",
        "lone": "__default__",  # in no registered pipeline: the run's own
    }


def test_nodes_compare_by_name_and_datasets() -> None:
    registry = [("first", Pipeline([node(_identity, "z", "b", name="step")]))]
    same_name = node(_identity, "a", "b", name="step")
    assert pipelines_of_nodes([same_name], registry, "mine") == {"step": "mine"}
    same_node = node(_other, "a", "b", name="step")  # Kedro: same name, inputs and outputs
    registry = [("first", Pipeline([same_node]))]
    assert pipelines_of_nodes([same_name], registry, "mine") == {"step": "first"}


def _row(pipeline: str, name: str, kwh: float, measurement: str = "cpu_load") -> dict[str, Any]:
    energy = EnergyReading(kwh, 0.25 * kwh, 0.75 * kwh, 0.0)
    if name == files.OUTSIDE_NODES:
        return outside_row(
            run_id="r",
            run_pipeline="__default__",
            started_at="2026-01-01T00:00:00+00:00",
            duration_s=0.5,
            energy=energy,
            emissions_kg=kwh * 0.05,
            measurement=measurement,
            country_iso_code="FRA",
        )
    measured = measurement in files.MEASURED
    return node_row(
        run_id="r",
        pipeline=pipeline,
        run_pipeline="__default__",
        node=name,
        started_at="2026-01-01T00:00:00+00:00",
        duration_s=1.0,
        measurement=measurement,
        country_iso_code="FRA",
        status="ok",
        energy=energy if measured else None,
        emissions_kg=kwh * 0.05 if measured else None,
    )


TOTAL = {
    "timestamp": "2026-01-01T00:00:05",
    "run_id": "r",
    "duration": 4.6,
    "energy_consumed": 0.0105,
    "cpu_energy": 0.0105 * 0.25,
    "ram_energy": 0.0105 * 0.75,
    "gpu_energy": 0.0,
    "emissions": 0.0105 * 0.05,
    "emissions_rate": 0.0,
    "water_consumed": 0.21,
    "cpu_power": 8.0,
    "country_iso_code": "FRA",
}


def test_a_run_of_one_pipeline_writes_codecarbon_total_unchanged() -> None:
    node_rows = [
        {**_row("etl", "ingest", 0.004), "run_pipeline": "etl"},
        {**_row("etl", files.OUTSIDE_NODES, 0.0005), "pipeline": "etl", "run_pipeline": "etl"},
    ]
    assert pipeline_run_rows(TOTAL, node_rows, "etl") == {"etl": TOTAL}


def test_a_composed_run_splits_its_total_by_pipeline_exactly() -> None:
    node_rows = [
        _row("etl", "ingest", 0.004),
        _row("fusion", "fuse", 0.003),
        _row("fusion", "index", 0.002),
        _row("fusion", "overlapping", 0.0, files.MEASUREMENT_OVERLAPPING_NODE),
        _row("__default__", files.OUTSIDE_NODES, 0.0015),
    ]
    out = pipeline_run_rows(TOTAL, node_rows, "__default__")
    assert list(out) == ["etl", "fusion", "__default__"]
    assert out["etl"]["energy_consumed"] == pytest.approx(0.004)
    assert out["fusion"]["energy_consumed"] == pytest.approx(0.005)  # measured rows only
    assert out["fusion"]["duration"] == pytest.approx(3.0)  # its rows' durations
    assert out["fusion"]["emissions_rate"] == pytest.approx(0.005 * 0.05 / 3.0)
    # the composed run's own row is what remains: its __outside_nodes__ row here
    assert out["__default__"]["energy_consumed"] == pytest.approx(0.0015)
    assert out["__default__"]["duration"] == pytest.approx(0.5)
    for key in ("energy_consumed", "cpu_energy", "ram_energy", "emissions", "water_consumed"):
        assert sum(row[key] for row in out.values()) == pytest.approx(TOTAL[key], rel=1e-12)
    # columns describing the whole run are kept; each row is a full CodeCarbon row
    assert {row["cpu_power"] for row in out.values()} == {8.0}
    assert all(set(row) == set(TOTAL) for row in out.values())
