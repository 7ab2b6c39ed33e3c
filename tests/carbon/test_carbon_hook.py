"""Carbon hook: real KedroSession runs of a three-node pipeline with a real CodeCarbon tracker."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from data_collection_kedro.carbon import files
from data_collection_kedro.carbon.guard import TrackerFileLock
from data_collection_kedro.carbon.hook import CarbonTrackingHook
from tests.support.carbon_probe import BUSY_IO_SECONDS, ProbeRunner, probe_env
from tests.support.paths import KEDRO_PROJECT

NODE_NAMES = {"make", "combine", "finish"}


def _read(out: Path, pipeline: str = "three_nodes") -> tuple[pd.DataFrame, pd.DataFrame]:
    runs = pd.read_csv(out / files.pipeline_file_name(pipeline))
    nodes = pd.read_csv(out / files.NODES_FILE_NAME)
    return runs, nodes


def test_one_tracker_per_run_and_node_rows_sum_to_run_total(
    run_probe: ProbeRunner, carbon_out: Path, tracker_count: list[Any]
) -> None:
    run_probe("three_nodes")

    assert len(tracker_count) == 1, "exactly one OfflineEmissionsTracker for the whole run"
    assert tracker_count[0]["country_iso_code"] == "FRA"
    assert tracker_count[0]["pue"] == 1.0

    runs, nodes = _read(carbon_out)
    assert len(runs) == 1
    run = runs.iloc[0]
    # CodeCarbon's own columns
    for column in (
        "timestamp",
        "project_name",
        "run_id",
        "duration",
        "emissions",
        "energy_consumed",
        "cpu_power",
        "ram_energy",
        "country_iso_code",
    ):
        assert column in runs.columns
    assert run["country_iso_code"] == "FRA"

    assert list(nodes.columns) == list(files.NODE_COLUMNS)
    assert (nodes["run_id"] == run["run_id"]).all()
    assert set(nodes["node"]) == NODE_NAMES | {files.OUTSIDE_NODES}
    assert (nodes["status"] == "ok").all()
    assert nodes["measurement"].isin(files.MEASURED).all()
    node_rows = nodes[nodes["node"] != files.OUTSIDE_NODES]
    assert (node_rows["energy_kwh"] > 0).all()

    # run total (CodeCarbon's total at stop) = node tasks + the time outside nodes
    energy_sum = nodes["energy_kwh"].sum()
    assert energy_sum == pytest.approx(run["energy_consumed"], rel=0.01)
    assert nodes["emissions_kg"].sum() == pytest.approx(run["emissions"], rel=0.01)
    components = nodes[["cpu_energy_kwh", "ram_energy_kwh", "gpu_energy_kwh"]].sum(axis=1)
    assert components.to_numpy() == pytest.approx(nodes["energy_kwh"].to_numpy(), rel=1e-6)
    # the nodes do the work: they outweigh the bookkeeping between them
    assert (
        node_rows["energy_kwh"].sum()
        > nodes.loc[nodes["node"] == files.OUTSIDE_NODES, "energy_kwh"].sum()
    )
    # the run's duration is its wall time, not the last task's
    assert run["duration"] >= nodes["duration_s"].sum() * 0.99

    # the other hooks read the same rows, and the run total, from the shared run state
    record = run_probe.last_record()
    in_memory = record.node_measurements()
    assert {row["node"] for row in in_memory} == NODE_NAMES
    assert record.energy.measured and record.energy.measurement == nodes["measurement"].iloc[0]
    assert record.energy.energy_kwh == pytest.approx(run["energy_consumed"])
    assert record.energy.emissions_kg == pytest.approx(run["emissions"])
    by_node = node_rows.set_index("node")
    for row in in_memory:
        assert row["energy_kwh"] == pytest.approx(by_node.loc[row["node"], "energy_kwh"])


def _rows_of(out: Path, pipeline: str) -> tuple[pd.Series, pd.DataFrame]:
    runs, nodes = _read(out, pipeline)
    assert len(runs) == 1
    return runs.iloc[0], nodes[nodes["pipeline"] == pipeline].set_index("node")


@pytest.mark.parametrize("is_async", [False, True], ids=["sequential", "async-io"])
def test_node_rows_include_loading_inputs_and_saving_outputs(
    run_probe: Any, carbon_out: Path, tracker_count: list[Any], is_async: bool
) -> None:
    from kedro.runner import SequentialRunner

    # read_source's input takes BUSY_IO_SECONDS of CPU work to load, write_sink's output as
    # long to save; both node functions are trivial (like an ETL node before its upserts).
    # With is_async Kedro loads and saves in worker threads (dataset hooks there too).
    run_probe("heavy_io", runner=SequentialRunner(is_async=is_async))

    assert len(tracker_count) == 1
    run, nodes = _rows_of(carbon_out, "heavy_io")
    assert set(nodes.index) == {"read_source", "write_sink", "finish", files.OUTSIDE_NODES}
    assert (nodes["status"] == "ok").all()
    assert nodes["measurement"].isin(files.MEASURED).all()
    # the load and the save are in their node's row ...
    assert nodes.loc["read_source", "duration_s"] >= BUSY_IO_SECONDS
    assert nodes.loc["write_sink", "duration_s"] >= BUSY_IO_SECONDS
    # ... and not between nodes: the time outside nodes is bookkeeping only
    outside = nodes.loc[files.OUTSIDE_NODES]
    assert outside["duration_s"] < BUSY_IO_SECONDS / 2
    for node_name in ("read_source", "write_sink"):
        assert nodes.loc[node_name, "energy_kwh"] > outside["energy_kwh"]
    # the rows still add up to the run total
    assert nodes["energy_kwh"].sum() == pytest.approx(run["energy_consumed"], rel=0.01)
    assert nodes["emissions_kg"].sum() == pytest.approx(run["emissions"], rel=0.01)
    # node rows do not overlap: each starts after the previous one's load/run/save
    started = pd.to_datetime(nodes.drop(index=files.OUTSIDE_NODES)["started_at"]).sort_values()
    assert list(started.index) == ["read_source", "write_sink", "finish"]
    gap = (started["write_sink"] - started["read_source"]).total_seconds()
    assert gap >= nodes.loc["read_source", "duration_s"] * 0.99


@pytest.mark.parametrize(
    ("pipeline", "failed_node", "message"),
    [
        ("failing_load", "read_broken", "load failure on purpose"),
        ("failing_save", "write_broken", "save failure on purpose"),
    ],
)
def test_failed_load_or_save_closes_the_node_as_failed(
    run_probe: ProbeRunner,
    carbon_out: Path,
    tracker_count: list[Any],
    pipeline: str,
    failed_node: str,
    message: str,
) -> None:
    with pytest.raises(Exception, match=message):
        run_probe(pipeline)

    assert len(tracker_count) == 1
    run, nodes = _rows_of(carbon_out, pipeline)
    assert nodes.loc["make", "status"] == "ok"
    assert nodes.loc[failed_node, "status"] == "failed"
    assert nodes.loc[failed_node, "measurement"] in files.MEASURED
    assert nodes.loc[failed_node, "energy_kwh"] > 0
    assert nodes.loc[failed_node, "duration_s"] >= 0.2  # the busy load/save before the error
    assert nodes["energy_kwh"].sum() == pytest.approx(run["energy_consumed"], rel=0.01)
    assert run_probe.last_record().node_measurements()[-1]["node"] == failed_node
    lock = TrackerFileLock(carbon_out)
    assert lock.acquire(), "the tracker lock is released after the failed run"
    lock.release()


def test_generator_node_row_covers_its_streamed_saves(run_probe: Any, carbon_out: Path) -> None:
    # ``stream`` yields 3 chunks of ~0.2 s work each, every chunk saved (~0.1 s) when yielded
    run_probe("streamed")
    run, nodes = _rows_of(carbon_out, "streamed")
    assert nodes.loc["stream", "duration_s"] >= 3 * (0.2 + 0.1)
    assert nodes.loc[files.OUTSIDE_NODES, "duration_s"] < 0.3
    assert nodes["energy_kwh"].sum() == pytest.approx(run["energy_consumed"], rel=0.01)


def test_thread_runner_rows_add_up_and_overlaps_are_marked(
    run_probe: Any, carbon_out: Path, tracker_count: list[Any]
) -> None:
    from kedro.runner import ThreadRunner

    run_probe("branches", runner=ThreadRunner(max_workers=2))

    assert len(tracker_count) == 1
    run, nodes = _rows_of(carbon_out, "branches")
    assert set(nodes.index) == {
        "make",
        "finish",
        "make_other",
        "finish_other",
        files.OUTSIDE_NODES,
    }
    allowed = files.MEASURED | {files.MEASUREMENT_OVERLAPPING_NODE}
    assert nodes["measurement"].isin(allowed).all()
    measured = nodes[nodes["measurement"].isin(files.MEASURED)]
    assert len(measured) >= 2  # at least one node and the outside row
    overlapping = nodes[nodes["measurement"] == files.MEASUREMENT_OVERLAPPING_NODE]
    assert overlapping["energy_kwh"].isna().all()
    assert nodes["energy_kwh"].sum() == pytest.approx(run["energy_consumed"], rel=0.01)


def test_second_run_appends_a_row_and_files_land_only_in_the_configured_folder(
    run_probe: Any, carbon_out: Path, probe_project: Path
) -> None:
    run_probe("three_nodes")
    run_probe("three_nodes")
    runs, nodes = _read(carbon_out)
    assert len(runs) == 2 and runs["run_id"].nunique() == 2
    assert len(nodes) == 2 * (len(NODE_NAMES) + 1)
    assert sorted(p.name for p in carbon_out.glob("*.csv")) == [
        "emissions_nodes.csv",
        "emissions_three_nodes.csv",
    ]
    assert not list(probe_project.rglob("emissions*.csv")), "nothing written next to the project"


def test_no_network_during_a_run(
    run_probe: Any, carbon_out: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    attempts: list[Any] = []
    real_connect = socket.socket.connect

    def guarded_connect(self: socket.socket, address: Any) -> Any:
        host = address[0] if isinstance(address, tuple) else address
        if self.family in (socket.AF_INET, socket.AF_INET6) and host not in (
            "127.0.0.1",
            "::1",
            "localhost",
        ):
            attempts.append(address)
            raise OSError(f"network disabled in this test: {address}")
        return real_connect(self, address)

    def guarded_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host not in (None, "localhost", "127.0.0.1", "::1"):
            attempts.append(("dns", host))
            raise OSError(f"name resolution disabled in this test: {host}")
        return real_getaddrinfo(host, *args, **kwargs)

    real_getaddrinfo = socket.getaddrinfo
    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
    monkeypatch.setattr(socket, "getaddrinfo", guarded_getaddrinfo)

    run_probe("three_nodes")

    assert attempts == []
    runs, nodes = _read(carbon_out)
    assert len(runs) == 1 and runs.iloc[0]["energy_consumed"] > 0


def test_failed_node_is_recorded_and_the_tracker_stopped(
    run_probe: Any, carbon_out: Path, tracker_count: list[Any]
) -> None:
    with pytest.raises(RuntimeError, match="node failure on purpose"):
        run_probe("failing")
    runs, nodes = _read(carbon_out, "failing")
    assert len(runs) == 1 and len(tracker_count) == 1
    status = dict(zip(nodes["node"], nodes["status"], strict=True))
    assert status["explode"] == "failed"
    assert status["make"] == status["combine"] == "ok"
    assert nodes["energy_kwh"].sum() == pytest.approx(runs.iloc[0]["energy_consumed"], rel=0.01)
    # the lock was released: another tracker may start
    lock = TrackerFileLock(carbon_out)
    assert lock.acquire()
    lock.release()


def test_nested_session_run_does_not_start_a_second_tracker(
    run_probe: Any, carbon_out: Path, tracker_count: list[Any]
) -> None:
    run_probe("nested")

    assert len(tracker_count) == 1
    nodes = pd.read_csv(carbon_out / files.NODES_FILE_NAME)
    inner = nodes[nodes["pipeline"] == "three_nodes"]
    outer = nodes[nodes["pipeline"] == "nested"]
    assert set(inner["node"]) == NODE_NAMES
    assert (inner["measurement"] == files.MEASUREMENT_SKIPPED_NESTED).all()
    assert inner["energy_kwh"].isna().all()
    assert not (carbon_out / files.pipeline_file_name("three_nodes")).exists()
    # the inner run's energy is inside the outer node that ran it
    outer_nodes = outer.set_index("node")
    assert (
        outer_nodes.loc["run_inner_session", "energy_kwh"] > outer_nodes.loc["make", "energy_kwh"]
    )
    runs = pd.read_csv(carbon_out / files.pipeline_file_name("nested"))
    assert outer["energy_kwh"].sum() == pytest.approx(runs.iloc[0]["energy_consumed"], rel=0.01)


def test_two_sessions_in_two_threads_keep_their_dataset_events_apart(
    run_probe: Any, carbon_out: Path, tmp_path: Path, tracker_count: list[Any]
) -> None:
    import threading

    from data_collection_kedro.carbon.guard import process_slot_holder

    errors: list[BaseException] = []

    def hold() -> None:
        try:
            run_probe("slow")  # measured; wait_for_release holds it open
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        deadline = time.monotonic() + 60
        while process_slot_holder() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert process_slot_holder() is not None, "the first session never started measuring"
        run_probe("heavy_io")  # its loads and saves happen while the other run's task is open
    finally:
        (tmp_path / "release").touch()
        holder.join(timeout=120)
    assert not errors, errors

    assert len(tracker_count) == 1
    nodes = pd.read_csv(carbon_out / files.NODES_FILE_NAME)
    mine = nodes[nodes["pipeline"] == "heavy_io"]
    assert set(mine["node"]) == {"read_source", "write_sink", "finish"}
    assert (mine["measurement"] == files.MEASUREMENT_SKIPPED_NESTED).all()
    assert mine.set_index("node").loc["write_sink", "duration_s"] >= BUSY_IO_SECONDS
    run, theirs = _rows_of(carbon_out, "slow")
    assert set(theirs.index) == {"make", "wait_for_release", files.OUTSIDE_NODES}
    assert theirs["measurement"].isin(files.MEASURED).all()
    assert theirs["energy_kwh"].sum() == pytest.approx(run["energy_consumed"], rel=0.01)


def test_disabled_writes_nothing_and_starts_no_tracker(
    run_probe: Any, carbon_out: Path, tracker_count: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CARBON_PROBE_ENABLED", "false")
    run_probe("three_nodes")
    assert tracker_count == []
    assert not carbon_out.exists() or not list(carbon_out.glob("*.csv"))


def _start_holder(carbon_out: Path, probe_project: Path, tmp_path: Path) -> subprocess.Popen[str]:
    """Another process running the probe project's ``slow`` pipeline (it holds the lock)."""
    code = (
        "from kedro.framework.startup import bootstrap_project\n"
        "from kedro.framework.session import KedroSession\n"
        f"p = {str(probe_project)!r}\n"
        "bootstrap_project(p)\n"
        "with KedroSession.create(project_path=p) as s:\n"
        "    s.run(pipeline_names=['slow'])\n"
    )
    return subprocess.Popen(
        [sys.executable, "-c", code],
        cwd=probe_project,
        env=probe_env(carbon_out, probe_project, CARBON_PROBE_RELEASE=str(tmp_path / "release")),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _wait_until_locked(carbon_out: Path, holder: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        assert holder.poll() is None, holder.communicate()[0]
        lock = TrackerFileLock(carbon_out)
        if (carbon_out / ".carbon_tracker.lock").exists() and not lock.acquire():
            return
        lock.release()
        time.sleep(0.1)
    raise AssertionError("the other process never took the tracker lock")


def test_concurrent_process_is_detected_and_skipped(
    run_probe: Any,
    carbon_out: Path,
    probe_project: Path,
    tmp_path: Path,
    tracker_count: list[Any],
) -> None:
    holder = _start_holder(carbon_out, probe_project, tmp_path)
    try:
        _wait_until_locked(carbon_out, holder)
        run_probe("three_nodes")  # while the other process measures
    finally:
        (tmp_path / "release").touch()
        output = holder.communicate(timeout=120)[0]
    assert holder.returncode == 0, output

    assert tracker_count == [], "no second tracker while another process measures"
    nodes = pd.read_csv(carbon_out / files.NODES_FILE_NAME)
    mine = nodes[nodes["pipeline"] == "three_nodes"]
    assert set(mine["node"]) == NODE_NAMES
    assert (mine["measurement"] == files.MEASUREMENT_SKIPPED_CONCURRENT).all()
    assert not (carbon_out / files.pipeline_file_name("three_nodes")).exists()
    # the other process measured its run normally
    theirs = nodes[nodes["pipeline"] == "slow"]
    assert theirs["measurement"].isin(files.MEASURED).all()
    assert len(pd.read_csv(carbon_out / files.pipeline_file_name("slow"))) == 1


def test_wait_policy_measures_after_the_other_process(
    run_probe: Any,
    carbon_out: Path,
    probe_project: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CARBON_PROBE_POLICY", "wait")
    holder = _start_holder(carbon_out, probe_project, tmp_path)
    try:
        _wait_until_locked(carbon_out, holder)
        # release the other run a moment after this run starts waiting
        releaser = subprocess.Popen(
            [
                sys.executable,
                "-c",
                f"import time, pathlib; time.sleep(1.0); pathlib.Path({str(tmp_path / 'release')!r}).touch()",
            ]
        )
        run_probe("three_nodes")
        releaser.wait(timeout=30)
    finally:
        (tmp_path / "release").touch()
        holder.communicate(timeout=120)
    runs = pd.read_csv(carbon_out / files.pipeline_file_name("three_nodes"))
    slow = pd.read_csv(carbon_out / files.pipeline_file_name("slow"))
    assert len(runs) == 1 and len(slow) == 1
    nodes = pd.read_csv(carbon_out / files.NODES_FILE_NAME)
    assert nodes["measurement"].isin(files.MEASURED).all()
    # serialised: this run's nodes started after the other run's last node
    mine = pd.to_datetime(nodes.loc[nodes["pipeline"] == "three_nodes", "started_at"])
    theirs = pd.to_datetime(nodes.loc[nodes["node"] == "wait_for_release", "started_at"])
    assert mine.min() > theirs.max()


def test_project_registers_the_hook_with_its_parameters() -> None:
    import yaml

    from data_collection_kedro import settings

    assert any(isinstance(h, CarbonTrackingHook) for h in settings.HOOKS)
    params = yaml.safe_load((KEDRO_PROJECT / "conf/base/parameters.yml").read_text())["carbon"]
    assert params["output_dir"] == "${globals:carbon_dir}"
    assert params["country_iso_code"] == "FRA" and params["on_concurrent_tracker"] == "skip"


def test_a_composed_run_writes_one_file_per_registered_pipeline(
    run_probe: ProbeRunner, carbon_out: Path, tracker_count: list[Any]
) -> None:
    """``__default__`` = three_nodes + tail: each node row carries the registered pipeline it
    belongs to, each pipeline gets its emissions file, and the rows split the run total."""
    run_probe("__default__")

    assert len(tracker_count) == 1
    nodes = pd.read_csv(carbon_out / files.NODES_FILE_NAME)
    assert (nodes["run_pipeline"] == "__default__").all()
    assert dict(zip(nodes["node"], nodes["pipeline"], strict=True)) == {
        "make": "three_nodes",
        "combine": "three_nodes",
        "finish": "three_nodes",
        "extend": "tail",
        files.OUTSIDE_NODES: "__default__",
    }
    run_ids = set()
    total_energy = total_emissions = 0.0
    for pipeline in ("three_nodes", "tail", "__default__"):
        run, rows = _rows_of(carbon_out, pipeline)
        run_ids.add(run["run_id"])
        # a pipeline's row is the sum of its node rows (the composed run's own row: the rest)
        assert rows["energy_kwh"].sum() == pytest.approx(run["energy_consumed"], rel=1e-6)
        assert rows["emissions_kg"].sum() == pytest.approx(run["emissions"], rel=1e-6)
        total_energy += run["energy_consumed"]
        total_emissions += run["emissions"]
    assert run_ids == set(nodes["run_id"])  # one tracker run
    energy = run_probe.last_record().energy
    assert total_energy == pytest.approx(energy.energy_kwh, rel=1e-9)
    assert total_emissions == pytest.approx(energy.emissions_kg, rel=1e-9)
    outside = nodes.set_index("node").loc[files.OUTSIDE_NODES, "energy_kwh"]
    assert outside < nodes["energy_kwh"].sum() / 2  # the default row is the orchestration only


def test_the_summary_counts_each_node_run_once(run_probe: ProbeRunner, carbon_out: Path) -> None:
    """The Airflow + ``make run`` mix with real sessions: ``__default__`` (three_nodes + tail),
    then a run of three_nodes (a DAG task running a whole pipeline), then an Airflow-style run
    of one node (``--nodes make``). Each node counts once, its latest run; each run's
    orchestration for the share of its node energy still counted; all runs together = the sum
    of every run-file row."""
    from data_collection_kedro.carbon.summary import build_summary, load_carbon_files, load_config

    run_probe("__default__")
    run_probe("three_nodes")
    run_probe("three_nodes", node_names=["make"])
    data = load_carbon_files(carbon_out)
    nodes = data.nodes.assign(energy_kwh=lambda f: f["energy_kwh"].astype(float))
    run_ids = list(dict.fromkeys(nodes["run_id"]))
    assert len(run_ids) == 3
    default, whole, single = (
        nodes[nodes["run_id"] == r].set_index("node")["energy_kwh"] for r in run_ids
    )
    outside = files.OUTSIDE_NODES

    def share(run: pd.Series, kept: list[str]) -> float:
        return float(run[kept].sum() / run.drop(outside).sum())

    config = load_config(None)
    latest = build_summary(data, config)
    per_node = latest.nodes.set_index(["pipeline", "node"])
    assert (per_node["node_runs"] <= 1).all()
    expected = (
        single["make"] + single[outside]  # make: the single-node run, its start-up whole
        + whole["combine"] + whole["finish"]  # the whole-pipeline run's other nodes
        + whole[outside] * share(whole, ["combine", "finish"])
        + default["extend"]  # extend: only in __default__
        + default[outside] * share(default, ["extend"])
    )  # fmt: skip
    assert latest.totals["energy_kwh"] == pytest.approx(expected, rel=1e-9)
    assert latest.phases["energy_kwh"].sum() == pytest.approx(expected, rel=1e-9)
    assert per_node.loc[("three_nodes", "make"), "energy_kwh"] == pytest.approx(single["make"])
    assert per_node.loc[("tail", "extend"), "ran_in"] == "__default__"
    warnings = "\n".join(w["en"] for w in latest.warnings)
    assert "overlap: three_nodes.make was measured 3 times" in warnings
    assert "overlap: three_nodes.combine was measured 2 times" in warnings
    assert "overlapping runs" not in warnings and "partial" not in warnings

    cumulative = build_summary(data, config, all_runs=True)
    assert cumulative.totals["energy_kwh"] == pytest.approx(
        data.runs["energy_consumed"].sum(), rel=1e-6
    )
    per_node = cumulative.nodes.set_index(["pipeline", "node"])
    assert per_node.loc[("three_nodes", "make"), "node_runs"] == 3  # once in each run


def test_rows_carry_the_node_phase_and_the_idle_draw(
    run_probe: ProbeRunner, carbon_out: Path
) -> None:
    """Each node row carries its phase tag; the orchestration row is ``orchestration``; every
    row of the run carries the idle draw measured once at the tracker's start."""
    run_probe("__default__")
    nodes = pd.read_csv(carbon_out / files.NODES_FILE_NAME)
    assert dict(zip(nodes["node"], nodes["phase"], strict=True)) == {
        "make": "collection",
        "combine": "processing",
        "finish": "training",
        "extend": "inference",
        files.OUTSIDE_NODES: "orchestration",
    }
    idle = nodes["idle_power_w"]
    assert idle.nunique() == 1 and idle.iloc[0] > 0  # watts: RAM's estimate alone is above 0


def test_no_idle_probe_leaves_the_idle_draw_empty(
    run_probe: ProbeRunner, carbon_out: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CARBON_PROBE_IDLE_S", "0")
    run_probe("three_nodes")
    nodes = pd.read_csv(carbon_out / files.NODES_FILE_NAME)
    assert nodes["idle_power_w"].isna().all()
    assert nodes["energy_kwh"].notna().all()  # measured all the same


def test_a_nodes_file_of_an_older_version_gets_the_new_columns(tmp_path: Path) -> None:
    old_columns = [c for c in files.NODE_COLUMNS if c not in ("phase", "idle_power_w")]
    path = tmp_path / files.NODES_FILE_NAME
    old_row = dict.fromkeys(old_columns, "")
    old_row.update(run_id="r0", pipeline="p", node="n0", duration_s="1.5", status="ok")
    pd.DataFrame([old_row], columns=old_columns).to_csv(path, index=False)

    files.append_node_rows(
        tmp_path, [{"run_id": "r1", "pipeline": "p", "node": "n1", "phase": "training"}]
    )
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    assert list(frame.columns) == list(files.NODE_COLUMNS)
    assert frame["node"].tolist() == ["n0", "n1"]
    assert frame.loc[0, "duration_s"] == "1.5"  # the old row kept its values
    assert frame["phase"].tolist() == ["", "training"]
