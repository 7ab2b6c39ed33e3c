"""The run state the hooks share (``data_collection_kedro.run_context``)."""

from __future__ import annotations

import threading
from types import SimpleNamespace
from typing import Any

from data_collection_kedro.run_context import (
    HISTORY,
    DatasetSaves,
    RunEnergy,
    RunRecord,
    RunRegistry,
    run_pipeline_name,
)


def _pipeline(*names: str) -> Any:
    return SimpleNamespace(nodes=[SimpleNamespace(name=n) for n in names])


def test_energy_callbacks_run_once_whichever_comes_first() -> None:
    runs = RunRegistry()
    runs.declare_energy_source()
    record = runs.run("r1")
    seen: list[tuple[str, float | None]] = []
    record.when_energy_settled(lambda r: seen.append(("before", r.energy.energy_kwh)))
    assert seen == []  # the carbon hook has not closed the run yet
    record.settle_energy(RunEnergy("cpu_load", energy_kwh=0.5, emissions_kg=0.01, duration_s=2))
    record.when_energy_settled(lambda r: seen.append(("after", r.energy.energy_kwh)))
    record.settle_energy(RunEnergy("cpu_load", energy_kwh=9.9))  # settled once only
    assert seen == [("before", 0.5), ("after", 0.5)]
    assert runs.run("r1") is record


def test_without_an_energy_source_runs_are_settled_at_once() -> None:
    runs = RunRegistry()
    record = runs.run("r1")
    assert record.energy is not None and not record.energy.measured
    called: list[RunRecord] = []
    record.when_energy_settled(called.append)
    assert called == [record]


def test_a_failing_callback_does_not_stop_the_others() -> None:
    runs = RunRegistry()
    runs.declare_energy_source()
    record = runs.run("r1")
    seen: list[str] = []
    record.when_energy_settled(lambda r: 1 / 0)
    record.when_energy_settled(lambda r: seen.append("second"))
    record.settle_energy(RunEnergy("disabled"))
    assert seen == ["second"]


def test_dataset_events_are_routed_by_thread_then_by_node() -> None:
    runs = RunRegistry()
    outer_pipeline, inner_pipeline = _pipeline("a", "b"), _pipeline("c")
    outer = runs.begin({"run_id": "outer", "pipeline_names": ["etl"]}, outer_pipeline)
    assert outer.pipeline == "etl" and runs.begin({"run_id": "outer"}, _pipeline()) is outer
    # a run started inside a node of the same thread comes first, until it ends
    inner = runs.begin({"run_id": "inner"}, inner_pipeline)
    assert runs.run_of_node(outer_pipeline.nodes[0]) is inner
    runs.end("inner")
    assert runs.run_of_node(outer_pipeline.nodes[0]) is outer

    # another thread (a runner's worker) has no run of its own: the node decides
    other = runs.begin({"run_id": "other"}, _pipeline("z"))
    found: dict[str, Any] = {}

    def worker() -> None:
        found["a"] = runs.run_of_node(outer_pipeline.nodes[0])
        found["stranger"] = runs.run_of_node(SimpleNamespace(name="a"))  # another object

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join()
    assert found == {"a": outer, "stranger": None}
    assert runs.active_run("other") is other and runs.active_run(None) is other
    runs.end("outer")
    runs.end("other")
    assert runs.run_of_node(outer_pipeline.nodes[0]) is None
    assert runs.get("outer") is outer  # the record outlives the run for late readers


def test_only_recent_records_are_kept() -> None:
    runs = RunRegistry()
    for i in range(HISTORY + 5):
        runs.run(f"r{i}")
    assert runs.get("r0") is None and runs.get(f"r{HISTORY + 4}") is not None


def test_dataset_saves_add_up_and_unknown_counts_stay_unknown() -> None:
    saves = DatasetSaves()
    saves.add(3, {"inserted": 3, "updated": 0, "unchanged": 0})
    saves.add(2, {"inserted": 1, "updated": 1, "unchanged": 0})
    assert (saves.saves, saves.rows, saves.inserted, saves.updated) == (2, 5, 4, 1)
    saves.add(None, None)  # data without rows, a dataset that reports nothing
    assert (saves.saves, saves.rows, saves.inserted) == (3, None, None)


def test_run_pipeline_name() -> None:
    assert run_pipeline_name({"pipeline_names": ["etl", "fusion"]}) == "etl+fusion"
    assert run_pipeline_name({"pipeline_names": None}) == "__default__"
    assert run_pipeline_name({"pipeline_name": "old"}) == "old"
