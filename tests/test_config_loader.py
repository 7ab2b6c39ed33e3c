"""`kedro run --params` changes only the keys it names, in every configuration environment."""

from __future__ import annotations

from pathlib import Path

import pytest
from kedro.framework.session import KedroSession
from kedro.framework.startup import bootstrap_project

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
