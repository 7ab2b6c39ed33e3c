"""``dag.test()`` of an ingestion DAG on the sample data, in a temporary AIRFLOW_HOME (SQLite)."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from .conftest import DAGS_FOLDER, REPO_ROOT

RUN_TWICE = """
import json
from pathlib import Path
from airflow.dag_processing.dagbag import BundleDagBag

bag = BundleDagBag(dag_folder={dags!r}, bundle_path=Path({dags!r}), bundle_name="dags-folder")
assert not bag.import_errors, bag.import_errors
dag = bag.dags["energiewatch_ingest_strikes"]
runs = []
for _ in range(2):
    run = dag.test()
    runs.append({{"state": str(run.state), "tasks": {{ti.task_id: str(ti.state) for ti in run.get_task_instances()}}}})
print("RESULT " + json.dumps(runs))
"""


@pytest.mark.slow
def test_strikes_ingestion_dag_end_to_end(
    tmp_path: Path, sample_data_dir: Path, data_dir: Path
) -> None:
    home = tmp_path / "airflow_home"
    home.mkdir()
    env = {
        **os.environ,
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS_FOLDER),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "ENERGIEWATCH_DATA_DIR": str(data_dir),
        "KEDRO_ENV": "base",
    }
    airflow = Path(sys.executable).with_name("airflow")
    migrate = subprocess.run(
        [str(airflow), "db", "migrate"], env=env, capture_output=True, text=True, check=False
    )
    assert migrate.returncode == 0, migrate.stderr[-3000:]
    result = subprocess.run(
        [sys.executable, "-c", RUN_TWICE.format(dags=str(DAGS_FOLDER))],
        env=env,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    lines = [line for line in result.stdout.splitlines() if line.startswith("RESULT ")]
    assert result.returncode == 0 and lines, (result.stdout + result.stderr)[-5000:]
    first, second = json.loads(lines[-1].removeprefix("RESULT "))

    # first run: the node ran and new rows were published as an asset event
    assert first["state"] == "success"
    assert first["tasks"] == {"ingest_strikes": "success", "publish_new_data": "success"}
    strikes = pd.read_csv(
        sample_data_dir / "mouvements-sociaux-depuis-2002.csv", sep=";", encoding="utf-8-sig"
    )
    with duckdb.connect(str(data_dir / "energiewatch.duckdb"), read_only=True) as con:
        (stored,) = con.execute("select count(*) from raw_strikes").fetchone()
    assert stored == len(strikes) > 0
    # second run: idempotent ingestion, no new rows -> publishing is skipped, no new event
    assert second["tasks"] == {"ingest_strikes": "success", "publish_new_data": "skipped"}
    with sqlite3.connect(home / "airflow.db") as db:
        events = db.execute(
            "select e.extra from asset_event e join asset a on a.id = e.asset_id "
            "where a.name = 'energiewatch_raw_strikes'"
        ).fetchall()
    assert len(events) == 1
    assert json.loads(events[0][0])["new_rows"] == len(strikes)

    # the carbon hook measured the Kedro run
    carbon = data_dir / "09_carbon"
    runs = pd.read_csv(carbon / "emissions_etl_pipeline.csv")
    nodes = pd.read_csv(carbon / "emissions_nodes.csv")
    assert len(runs) == 2
    assert (nodes["node"] == "ingest_strikes").sum() == 2
    assert (nodes["status"] == "ok").all()
