"""Airflow test set-up: a throw-away AIRFLOW_HOME and the repository's dags/ folder.

Set before Airflow is imported (its configuration is read at import time).
"""

from __future__ import annotations

import os
import sys
import tempfile

import pytest

from tests.support.paths import REPO_ROOT

DAGS_FOLDER = REPO_ROOT / "dags"

os.environ.setdefault("AIRFLOW_HOME", tempfile.mkdtemp(prefix="energiewatch-airflow-"))
os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(DAGS_FOLDER)
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
if str(DAGS_FOLDER) not in sys.path:  # as the DAG processor does for the dags-folder bundle
    sys.path.append(str(DAGS_FOLDER))


@pytest.fixture(scope="session")
def dagbag():  # type: ignore[no-untyped-def]
    from airflow.dag_processing.dagbag import BundleDagBag

    return BundleDagBag(
        dag_folder=str(DAGS_FOLDER), bundle_path=DAGS_FOLDER, bundle_name="dags-folder"
    )
