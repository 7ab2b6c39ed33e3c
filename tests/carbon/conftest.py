"""Fixtures of the carbon tests: the probe project (see carbon_probe.py), counted trackers."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.carbon_probe import MAIN_PROJECT, write_probe_project


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


@pytest.fixture
def run_probe(
    probe_project: Path, carbon_out: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[..., Any]]:
    """Run a pipeline of the probe project through a real KedroSession."""
    from kedro.framework.session import KedroSession
    from kedro.framework.startup import bootstrap_project

    monkeypatch.chdir(probe_project)
    bootstrap_project(probe_project)

    def _run(pipeline: str = "three_nodes", **run_kwargs: Any) -> Any:
        with KedroSession.create(project_path=probe_project) as session:
            return session.run(pipeline_names=[pipeline], **run_kwargs)

    yield _run
    # hand the process back to the main project for the other test folders
    bootstrap_project(MAIN_PROJECT)


@pytest.fixture
def tracker_count(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every OfflineEmissionsTracker the hook creates (real trackers, counted)."""
    from codecarbon import OfflineEmissionsTracker

    from data_collection_kedro.carbon import hook

    created: list[Any] = []

    class CountingTracker(OfflineEmissionsTracker):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            created.append(kwargs)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(hook, "OfflineEmissionsTracker", CountingTracker)
    return created
