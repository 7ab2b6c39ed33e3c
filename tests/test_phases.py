"""Every node of the project belongs to one phase (its tag), read back from the registry."""

from __future__ import annotations

import pytest
from kedro.pipeline import Node

from data_collection_kedro import phases
from tests.support.paths import KEDRO_PROJECT


def _identity(x: float) -> float:
    return x


def test_every_registered_node_has_exactly_one_phase_tag() -> None:
    from kedro.framework.startup import bootstrap_project

    from data_collection_kedro.pipeline_registry import register_pipelines

    bootstrap_project(KEDRO_PROJECT)
    registered = register_pipelines()
    for name, pipeline in registered.items():
        for node in pipeline.nodes:
            assert phases.phase_of(node.tags) in phases.PHASES, f"{name}.{node.name}: {node.tags}"
    by_node = phases.phases_of_pipelines(registered)
    assert by_node["ingest_strikes"] == phases.COLLECTION
    assert by_node["build_meteo_consommation"] == phases.PROCESSING
    assert by_node["train_day_ahead_electricity_regional"] == phases.TRAINING
    assert by_node["forecast_next_days"] == phases.INFERENCE
    assert set(by_node.values()) == set(phases.PHASES)


def test_phase_tags_are_checked() -> None:
    assert phases.tag(phases.TRAINING) == "phase.training"
    with pytest.raises(phases.PhaseError, match="unknown phase"):
        phases.tag("deployment")
    with pytest.raises(phases.PhaseError, match="one phase"):
        phases.phase_of(["phase.training", "phase.inference"])
    node = Node(_identity, "a", "b", name="n", tags=["phase.training", "phase.inference"])
    assert phases.phase_of_node(node) == phases.UNKNOWN  # the hook never fails on tags
    assert phases.phase_of_node(Node(_identity, "a", "b", name="m")) == phases.UNKNOWN
