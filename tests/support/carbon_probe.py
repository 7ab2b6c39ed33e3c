"""A tiny Kedro project that registers the real carbon hook, for end-to-end hook tests.

The project's own pipelines are large (minutes of work on the sample data); the hook's
behaviour is the same on any pipeline, so these tests run a real ``KedroSession`` on a
three-node numpy pipeline instead. Its parameters read the carbon block from environment
variables so each test chooses its output folder and policy.
"""

from __future__ import annotations

import importlib
import os
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.paths import KEDRO_PROJECT

PROBE_PACKAGE = "carbon_probe_project"
MAIN_PROJECT = KEDRO_PROJECT

_NODES = '''
"""Cheap nodes doing real numpy work (~0.15 s each)."""
import os
import time
from pathlib import Path

import numpy as np


def _work(seed: int, seconds: float = 0.15) -> float:
    """Matrix products for about ``seconds`` of wall time."""
    rng = np.random.default_rng(seed)
    x = rng.random((200, 200))
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        x = x @ x
        x /= x.max()
    return float(x.sum())


def make(seed: int) -> float:
    return _work(seed)


def combine(a: float, seed: int) -> float:
    return a + _work(seed + 1)


def finish(b: float) -> float:
    return b + _work(3)


def explode(b: float) -> float:
    raise RuntimeError("node failure on purpose")


def run_inner_session(a: float) -> float:
    """A node that runs another pipeline of the project through its own KedroSession."""
    from kedro.framework.session import KedroSession

    with KedroSession.create(project_path=os.environ["CARBON_PROBE_PROJECT"]) as session:
        session.run(pipeline_names=["three_nodes"])
    return a


def pass_on(a: float) -> float:
    """Hardly any work: the I/O around it is what costs."""
    return a + 1.0


def add(a: float, b: float) -> float:
    return a + b


def stream(a: float):
    """A generator node: Kedro saves each chunk as it comes (the work happens while saving)."""
    for i in range(3):
        yield a + _work(10 + i, 0.2)


def extend(c: float) -> float:
    return c + _work(4)


def records(seed: int):
    """Three keyed rows for the store (the same rows at every run: a re-run inserts none)."""
    import pandas as pd

    return pd.DataFrame({"id": [1, 2, 3], "value": [float(seed), 2.0, 3.0]})


def rejected(seed: int):
    """One row set aside with its reason, like the ETL's quarantine."""
    import pandas as pd

    return pd.DataFrame({"id": [9], "reason": ["value out of range"]})


def count_records(records) -> float:
    """Reads the store back (a load of the file the run holds)."""
    return float(len(records))


def wait_for_release(a: float) -> float:
    """Holds the run open until the release file appears (cross-process tests)."""
    release = Path(os.environ["CARBON_PROBE_RELEASE"])
    deadline = time.monotonic() + 120
    while not release.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    return a
'''

#: load time of ``slow_source`` and save time of ``slow_sink`` (CPU work, seconds)
BUSY_IO_SECONDS = 0.6

_DATASETS = '''
"""A dataset whose load and save do real CPU work for a set time (like a large upsert)."""
import time

import numpy as np
from kedro.io import AbstractDataset


def _busy(seconds: float) -> None:
    x = np.random.default_rng(0).random((200, 200))
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        x = x @ x
        x /= x.max()


class BusyDataset(AbstractDataset):
    def __init__(self, load_seconds=0.0, save_seconds=0.0, initial=None, fail_on=None):
        self._load_seconds = float(load_seconds)
        self._save_seconds = float(save_seconds)
        self._data = initial
        self._fail_on = fail_on

    def _load(self):
        _busy(self._load_seconds)
        if self._fail_on == "load":
            raise RuntimeError("load failure on purpose")
        return self._data

    def _save(self, data) -> None:
        _busy(self._save_seconds)
        if self._fail_on == "save":
            raise RuntimeError("save failure on purpose")
        self._data = data

    def _describe(self):
        return {"load_seconds": self._load_seconds, "save_seconds": self._save_seconds}
'''

_CATALOG = f"""
slow_source:
  type: carbon_probe_project.datasets.BusyDataset
  load_seconds: {BUSY_IO_SECONDS}
  initial: 1.0
slow_sink:
  type: carbon_probe_project.datasets.BusyDataset
  save_seconds: {BUSY_IO_SECONDS}
chunks:
  type: carbon_probe_project.datasets.BusyDataset
  save_seconds: 0.1
broken_source:
  type: carbon_probe_project.datasets.BusyDataset
  load_seconds: 0.2
  initial: 1.0
  fail_on: load
broken_sink:
  type: carbon_probe_project.datasets.BusyDataset
  save_seconds: 0.2
  fail_on: save
raw_records:
  type: data_collection_kedro.datasets.DuckDBTableDataset
  database: ${{oc.env:CARBON_PROBE_OUT}}/probe.duckdb
  table: raw_records
  key: [id]
quarantine_records:
  type: data_collection_kedro.datasets.DuckDBTableDataset
  database: ${{oc.env:CARBON_PROBE_OUT}}/probe.duckdb
  table: raw_quarantine
"""

_REGISTRY = """
from kedro.pipeline import Pipeline, node

from carbon_probe_project import nodes as n


def register_pipelines():
    three = Pipeline(
        [
            node(n.make, "params:seed", "a", name="make", tags=["phase.collection"]),
            node(n.combine, ["a", "params:seed"], "b", name="combine", tags=["phase.processing"]),
            node(n.finish, "b", "c", name="finish", tags=["phase.training"]),
        ]
    )
    tail = Pipeline([node(n.extend, "c", "d", name="extend", tags=["phase.inference"])])
    store = Pipeline(
        [
            node(n.records, "params:seed", "raw_records", name="store_records"),
            node(n.rejected, "params:seed", "quarantine_records", name="set_aside"),
        ]
    )
    store_then_fail = Pipeline(
        [
            node(n.records, "params:seed", "raw_records", name="store_records"),
            node(n.count_records, "raw_records", "count", name="count_records"),
            node(n.explode, "count", "c", name="explode"),
        ]
    )
    failing = Pipeline(
        [
            node(n.make, "params:seed", "a", name="make"),
            node(n.combine, ["a", "params:seed"], "b", name="combine"),
            node(n.explode, "b", "c", name="explode"),
        ]
    )
    nested = Pipeline(
        [
            node(n.make, "params:seed", "a", name="make"),
            node(n.run_inner_session, "a", "a2", name="run_inner_session"),
            node(n.finish, "a2", "c", name="finish"),
        ]
    )
    slow = Pipeline(
        [
            node(n.make, "params:seed", "a", name="make"),
            node(n.wait_for_release, "a", "c", name="wait_for_release"),
        ]
    )
    heavy_io = Pipeline(
        [
            node(n.pass_on, "slow_source", "mid", name="read_source"),
            node(n.pass_on, "mid", "slow_sink", name="write_sink"),
            node(n.finish, "slow_sink", "c", name="finish"),
        ]
    )
    failing_load = Pipeline(
        [
            node(n.make, "params:seed", "a", name="make"),
            node(n.add, ["broken_source", "a"], "b", name="read_broken"),
        ]
    )
    failing_save = Pipeline(
        [
            node(n.make, "params:seed", "a", name="make"),
            node(n.pass_on, "a", "broken_sink", name="write_broken"),
        ]
    )
    streamed = Pipeline(
        [
            node(n.make, "params:seed", "a", name="make"),
            node(n.stream, "a", "chunks", name="stream"),
            node(n.finish, "a", "c", name="finish"),
        ]
    )
    branches = Pipeline(
        [
            node(n.make, "params:seed", "a", name="make"),
            node(n.finish, "a", "c", name="finish"),
            node(n.make, "params:seed", "a2", name="make_other"),
            node(n.finish, "a2", "c2", name="finish_other"),
        ]
    )
    # registry order: three_nodes and tail first, so the nodes of ``__default__`` (shared by
    # name with later test pipelines) belong to them
    return {
        "three_nodes": three,
        "tail": tail,
        "store": store,
        "store_and_read": store + Pipeline(
            [node(n.count_records, "raw_records", "count", name="count_records")]
        ),
        "store_then_fail": store_then_fail,
        "heavy_io": heavy_io,
        "failing_load": failing_load,
        "failing_save": failing_save,
        "streamed": streamed,
        "branches": branches,
        "failing": failing,
        "nested": nested,
        "slow": slow,
        "__default__": three + tail,
    }
"""

_SETTINGS = """
from kedro.config import OmegaConfigLoader
from omegaconf.resolvers import oc

from data_collection_kedro.carbon.hook import CarbonTrackingHook
from data_collection_kedro.hooks import StoreConnectionHook
from data_collection_kedro.run_context import RunRegistry
from data_collection_kedro.run_summary import RunSummaryHook

RUNS = RunRegistry()
HOOKS = (CarbonTrackingHook(RUNS), RunSummaryHook(RUNS), StoreConnectionHook())
CONFIG_LOADER_CLASS = OmegaConfigLoader
CONFIG_LOADER_ARGS = {"base_env": "base", "default_run_env": "local",
                      "custom_resolvers": {"oc.env": oc.env}}
"""

_PARAMETERS = """
seed: 3
carbon:
  enabled: ${oc.env:CARBON_PROBE_ENABLED,true}
  country_iso_code: FRA
  pue: 1.0
  output_dir: ${oc.env:CARBON_PROBE_OUT}
  measure_power_secs: 15
  on_concurrent_tracker: ${oc.env:CARBON_PROBE_POLICY,skip}
  concurrent_wait_timeout_s: 60
  log_level: warning
  idle_probe_s: ${oc.env:CARBON_PROBE_IDLE_S,0.1}
  hardware_cache_max_age_h: ${oc.env:CARBON_PROBE_HARDWARE_MAX_AGE_H,168}
  idle_power_max_age_min: ${oc.env:CARBON_PROBE_IDLE_MAX_AGE_MIN,15}
run_summary:
  output_dir: ${oc.env:CARBON_PROBE_OUT}/runs
duckdb_store:
  keep_open: ${oc.env:CARBON_PROBE_KEEP_OPEN,run}
  keep_open_s: 1.0
"""


def write_probe_project(root: Path) -> Path:
    pkg = root / "src" / PROBE_PACKAGE
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "nodes.py").write_text(_NODES)
    (pkg / "pipeline_registry.py").write_text(_REGISTRY)
    (pkg / "settings.py").write_text(_SETTINGS)
    (pkg / "datasets.py").write_text(_DATASETS)
    (root / "conf" / "base").mkdir(parents=True)
    (root / "conf" / "local").mkdir(parents=True)
    (root / "conf" / "base" / "parameters.yml").write_text(_PARAMETERS)
    (root / "conf" / "base" / "catalog.yml").write_text(_CATALOG)
    (root / "pyproject.toml").write_text(
        textwrap.dedent(
            f"""
            [tool.kedro]
            package_name = "{PROBE_PACKAGE}"
            project_name = "carbon-probe"
            kedro_init_version = "1.7.0"
            source_dir = "src"
            """
        )
    )
    return root


def probe_env(carbon_out: Path, probe_project: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        CARBON_PROBE_OUT=str(carbon_out),
        CARBON_PROBE_PROJECT=str(probe_project),
        KEDRO_DISABLE_TELEMETRY="true",
        **extra,
    )
    return env


# -- fixtures (imported by the conftest.py of the folders that run the probe project) ---------
@pytest.fixture(scope="session")
def probe_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The probe project, written once per test session (shared by every folder using it)."""
    root = tmp_path_factory.getbasetemp() / "carbon_probe"
    return root if (root / "pyproject.toml").exists() else write_probe_project(root)


@pytest.fixture
def carbon_out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, probe_project: Path) -> Path:
    out = tmp_path / "carbon"
    monkeypatch.setenv("CARBON_PROBE_OUT", str(out))
    monkeypatch.setenv("CARBON_PROBE_PROJECT", str(probe_project))
    monkeypatch.setenv("CARBON_PROBE_RELEASE", str(tmp_path / "release"))
    monkeypatch.delenv("CARBON_PROBE_POLICY", raising=False)
    monkeypatch.delenv("CARBON_PROBE_ENABLED", raising=False)
    return out


class ProbeRunner:
    """Runs a pipeline of the probe project through a real KedroSession; remembers the
    session ids (= Kedro run ids) of the runs it started, failed ones included."""

    def __init__(self, project: Path) -> None:
        self.project = project
        self.session_ids: list[str] = []

    def __call__(self, pipeline: str = "three_nodes", **run_kwargs: Any) -> Any:
        from kedro.framework.session import KedroSession

        with KedroSession.create(project_path=self.project) as session:
            self.session_ids.append(str(session.store["session_id"]))
            return session.run(pipeline_names=[pipeline], **run_kwargs)

    @property
    def runs(self) -> Any:
        """The probe project's shared run registry (``settings.RUNS``)."""
        return importlib.import_module(f"{PROBE_PACKAGE}.settings").RUNS

    def last_record(self) -> Any:
        return self.runs.get(self.session_ids[-1])


@pytest.fixture
def run_probe(
    probe_project: Path, carbon_out: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[ProbeRunner]:
    """Run a pipeline of the probe project through a real KedroSession."""
    from kedro.framework.startup import bootstrap_project

    monkeypatch.chdir(probe_project)
    bootstrap_project(probe_project)
    yield ProbeRunner(probe_project)
    # hand the process back to the main project for the other test folders
    bootstrap_project(MAIN_PROJECT)


@pytest.fixture
def tracker_count(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The arguments of every OfflineEmissionsTracker the hook starts (real trackers, counted;
    the hardware detection ahead of a run constructs one that never starts)."""
    from codecarbon import OfflineEmissionsTracker

    from data_collection_kedro.carbon import codecarbon_adapter

    created: list[Any] = []

    class CountingTracker(OfflineEmissionsTracker):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            self.counted_arguments = kwargs
            super().__init__(*args, **kwargs)

        def start(self) -> None:
            created.append(self.counted_arguments)
            super().start()

    monkeypatch.setattr(codecarbon_adapter, "OfflineEmissionsTracker", CountingTracker)
    return created
