"""`kedro run --params` changes only the keys it names, in every configuration environment."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from kedro.config import OmegaConfigLoader
from kedro.framework.session import KedroSession
from kedro.framework.startup import bootstrap_project

from data_collection_kedro.config_loader import ProjectConfigLoader
from tests.support.paths import KEDRO_PROJECT


@pytest.mark.parametrize("env", [None, "live", "prod", "real"])
def test_run_params_change_only_the_keys_they_name(
    env: str | None, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(KEDRO_PROJECT)
    bootstrap_project(KEDRO_PROJECT)
    with KedroSession.create(project_path=KEDRO_PROJECT, env=env) as session:
        plain = session.load_context().params
    runtime = {"forecasting": {"horizon_days": 3}, "new_section": {"answer": 42}}
    with KedroSession.create(
        project_path=KEDRO_PROJECT, env=env, runtime_params=runtime
    ) as session:
        params = session.load_context().params

    assert params["forecasting"]["horizon_days"] == 3
    assert params["new_section"] == {"answer": 42}
    # every other key of the section and every other section as the environment defines them
    assert {**params["forecasting"], "horizon_days": plain["forecasting"]["horizon_days"]} == (
        plain["forecasting"]
    )
    assert {k: v for k, v in params.items() if k != "new_section"} | {
        "forecasting": plain["forecasting"]
    } == plain


def test_parameters_are_read_once_per_loader_and_each_caller_gets_a_copy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    conf = tmp_path / "conf"
    (conf / "base").mkdir(parents=True)
    (conf / "local").mkdir()
    (conf / "base" / "parameters.yml").write_text("model:\n  depth: 3\n")
    loader = ProjectConfigLoader(str(conf), base_env="base", default_run_env="local")
    reads: list[str] = []
    original = OmegaConfigLoader._read_raw_config  # Kedro's parse of the files of one key

    def counting(self: OmegaConfigLoader, key: str) -> Any:
        reads.append(key)
        return original(self, key)

    monkeypatch.setattr(OmegaConfigLoader, "_read_raw_config", counting)
    first = loader["parameters"]
    first["model"]["depth"] = 99  # a caller changing its copy changes nobody else's
    second = loader["parameters"]
    assert second == {"model": {"depth": 3}}
    assert reads == ["parameters"]  # the files parsed once
    loader.runtime_params = {"model": {"depth": 5}}  # other run parameters: read again
    assert loader["parameters"] == {"model": {"depth": 5}}
