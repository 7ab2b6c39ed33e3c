"""Fixtures of the carbon tests: the probe project (see carbon_probe.py), counted trackers."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.carbon_probe import MAIN_PROJECT, PROBE_PACKAGE, write_probe_project


@pytest.fixture(scope="session")
def probe_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_probe_project(tmp_path_factory.mktemp("carbon_probe"))


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
    """Every OfflineEmissionsTracker the hook creates (real trackers, counted)."""
    from codecarbon import OfflineEmissionsTracker

    from data_collection_kedro.carbon import codecarbon_adapter

    created: list[Any] = []

    class CountingTracker(OfflineEmissionsTracker):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            created.append(kwargs)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(codecarbon_adapter, "OfflineEmissionsTracker", CountingTracker)
    return created
