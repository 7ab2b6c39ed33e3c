"""Incremental fusion through Kedro sessions: the indices after incremental runs equal a full
rebuild from the same final inputs.

One short sample (4 regions, four months) goes through etl_pipeline + data_fusion_pipeline;
then (1) one day is appended to every source file (``sample_data.append``) and the two
pipelines run again, incrementally; (2) a past raw row is corrected (an electricity value three
weeks back) and a fuel station moves to another department, and they run again. After each
step the fusion is rebuilt from scratch in another data dir on a copy of the same raw store,
and every index of data_fusion_pipeline (sorted by its key) must equal the rebuild's.

``fusion_data_quality`` counts, in an incremental run, the days that run recomputed (its
``detail.scope`` says so): its checks are compared as keys only.

The comparison can fail: with the rules' look-back cut (``family_reach`` reading no day before
the first recomputed one), the indices after the appended day differ from the rebuild.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import zipfile
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest

from data_collection_kedro.domain import fusion_window
from data_collection_kedro.domain.contracts import CONTRACTS
from data_collection_kedro.domain.fusion_window import FAMILIES
from data_collection_kedro.sample_data import generate
from data_collection_kedro.sample_data.append import append_day
from tests.support.paths import KEDRO_PROJECT
from tests.support.sample import SMALL_MODELS, SMALL_SAMPLE

# the small sample's regions, four months of it
SAMPLE = {
    **SMALL_SAMPLE,
    "start": "2023-09-01",
    "end": "2023-12-31",
    "fuel_stations": 60,
    "fuel_price_rows": 6_000,
}
NEW_DAY = date(2024, 1, 1)
PARAMS = {"data_fusion": SMALL_MODELS["data_fusion"]}
PIPELINES = ("etl_pipeline", "data_fusion_pipeline")
INDICES = [index for indices in FAMILIES.values() for index in indices]
CORRECTED_INSTANT = "2023-12-11T12:00:00+01:00;"  # a past half-hour of region 11
# the first station of the flux snapshot moves to Paris 11e
STATION = re.compile(rb'(<pdv id="\d+") latitude="[^"]*" longitude="[^"]*" cp="[^"]*"')
MOVED = rb'\1 latitude="4885000" longitude="237000" cp="75011"'


def _run(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, pipelines: tuple[str, ...] = PIPELINES
) -> None:
    from kedro.framework.session import KedroSession
    from kedro.framework.startup import bootstrap_project

    monkeypatch.setenv("ENERGIEWATCH_DATA_DIR", str(data_dir))
    bootstrap_project(KEDRO_PROJECT)
    for pipeline in pipelines:
        with KedroSession.create(project_path=KEDRO_PROJECT, runtime_params=PARAMS) as session:
            session.run(pipeline_names=[pipeline])


def _table(data_dir: Path, table: str) -> pd.DataFrame:
    key = list(CONTRACTS[table].key)
    with duckdb.connect(str(data_dir / "energiewatch.duckdb"), read_only=True) as con:
        frame = con.execute(f"SELECT * FROM {table}").df()
    return frame.sort_values(key, ignore_index=True)[sorted(frame.columns)]


def _scopes(data_dir: Path) -> dict[str, str]:
    quality = _table(data_dir, "fusion_data_quality")
    return {
        str(index): json.loads(detail)["scope"]
        for index, detail in zip(quality["index"], quality["detail"], strict=True)
    }


def _assert_same_indices(incremental: Path, rebuilt: Path) -> None:
    for index in INDICES:
        pd.testing.assert_frame_equal(
            _table(incremental, index), _table(rebuilt, index), check_exact=False, rtol=1e-9
        )
    key = list(CONTRACTS["fusion_data_quality"].key)
    assert (
        _table(incremental, "fusion_data_quality")[key].values.tolist()
        == _table(rebuilt, "fusion_data_quality")[key].values.tolist()
    )


def _rebuild(data_dir: Path, root: Path, name: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The fusion from scratch in another data dir, on the same raw store (the ETL's raw
    tables depend on the order the files came in: a flux snapshot's shortages stay stored
    once seen)."""
    rebuilt = root / name / "data"
    rebuilt.mkdir(parents=True)
    shutil.copy2(data_dir / "energiewatch.duckdb", rebuilt / "energiewatch.duckdb")
    with duckdb.connect(str(rebuilt / "energiewatch.duckdb")) as con:
        for table in (*INDICES, "fusion_data_quality", "fusion_state"):
            con.execute(f"DROP TABLE {table}")
    _run(rebuilt, monkeypatch, ("data_fusion_pipeline",))
    assert set(_scopes(rebuilt).values()) == {"whole history"}
    return rebuilt


def _correct_past_value(sample: Path) -> None:
    """A corrected electricity value of a past half-hour (the source rewrites the line)."""
    path = sample / "consommation-quotidienne-brute-regionale.csv"
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    found = [i for i, line in enumerate(lines) if line.startswith(CORRECTED_INSTANT)]
    found = [i for i in found if lines[i].split(";")[3] == "11"]
    assert len(found) == 1, f"expected one line {CORRECTED_INSTANT} of region 11"
    fields = lines[found[0]].split(";")
    fields[10] = str(round(float(fields[10]) + 900))  # Consommation brute électricité (MW) - RTE
    lines[found[0]] = ";".join(fields)
    path.write_text("\ufeff" + "\n".join(lines) + "\n", encoding="utf-8")


def _move_station(sample: Path) -> None:
    """A station of the flux snapshot moves to another department (its postcode)."""
    path = sample / "PrixCarburants_instantane.zip"
    with zipfile.ZipFile(path) as archive:
        (name,) = archive.namelist()
        xml = archive.read(name)
        info = archive.getinfo(name)
    moved = STATION.sub(MOVED, xml, count=1)
    assert moved != xml, "no station found in the flux snapshot"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(info, moved)
    path.write_bytes(buffer.getvalue())


@pytest.fixture(scope="module")
def samples(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The short and the one-day-longer samples, and a data dir after a first (full) run of
    the two pipelines on the short one (each test works on a copy)."""
    root = tmp_path_factory.mktemp("incremental_fusion")
    generate(root / "short", **SAMPLE)
    generate(root / "longer", **{**SAMPLE, "end": NEW_DAY.isoformat()})
    first = root / "first" / "data"
    shutil.copytree(root / "short", first / "01_raw" / "sample")
    with pytest.MonkeyPatch.context() as monkeypatch:
        _isolate(monkeypatch)
        _run(first, monkeypatch)  # first run: full
    assert set(_scopes(first).values()) == {"whole history"}
    return {"root": root, "longer": root / "longer", "first": first}


def _isolate(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(KEDRO_PROJECT)
    for var in ("ENERGIEWATCH_DUCKDB", "ENERGIEWATCH_CARBON_DIR", "MLFLOW_TRACKING_URI"):
        monkeypatch.delenv(var, raising=False)


def _after_first_run(samples: dict[str, Any], name: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    data_dir = samples["root"] / name / "data"
    shutil.copytree(samples["first"], data_dir)
    _isolate(monkeypatch)
    return data_dir


def test_incremental_runs_equal_a_full_rebuild(
    samples: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = samples["root"]
    data_dir = _after_first_run(samples, "incremental", monkeypatch)
    sample = data_dir / "01_raw" / "sample"
    first = {index: _table(data_dir, index) for index in INDICES}

    # 1. one new day in every source
    appended = append_day(sample, samples["longer"], NEW_DAY)
    assert any("line" in what for what in appended.values()), appended
    _run(data_dir, monkeypatch)
    scopes = _scopes(data_dir)
    assert all(s.startswith("days from ") for s in scopes.values()), scopes
    # the next day's flux snapshot changes no past day: the fuel window starts on the new day
    # (moved back by the rules' one day ahead)
    assert scopes["prix_carburants_journalier"].startswith("days from 2023-12-31 "), scopes
    for index in INDICES:  # the new day is there, the earlier days are as stored
        now = _table(data_dir, index)
        assert (pd.to_datetime(now["day"]) == pd.Timestamp(NEW_DAY)).any(), index
        assert len(now) > len(first[index]), index
    _assert_same_indices(data_dir, _rebuild(data_dir, root, "rebuilt_after_append", monkeypatch))

    # 2. a corrected past value and a station that moved
    _correct_past_value(sample)
    _move_station(sample)
    before = _table(data_dir, "meteo_consommation")
    _run(data_dir, monkeypatch)
    scopes = _scopes(data_dir)
    assert scopes["prix_carburants_journalier"] == "whole history"  # a station counts every day
    observed = scopes["meteo_consommation"]
    assert observed.startswith("days from ") and observed[10:20] <= "2023-12-11", observed
    after = _table(data_dir, "meteo_consommation")
    mwh = "electricity_consumption_mwh"
    changed = after.loc[after[mwh].fillna(-1) != before[mwh].fillna(-1)]
    assert changed[["region_code", "day"]].astype(str).values.tolist() == [["11", "2023-12-11"]]
    _assert_same_indices(data_dir, _rebuild(data_dir, root, "rebuilt_after_changes", monkeypatch))


def test_a_cut_look_back_breaks_the_equality(
    samples: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same appended day with no raw row read before the first recomputed day (a price
    stays in force for days, a missing operator is imputed from the days before...): the
    indices no longer equal a rebuild, so the comparison above checks the look-back."""
    data_dir = _after_first_run(samples, "look_back_cut", monkeypatch)
    append_day(data_dir / "01_raw" / "sample", samples["longer"], NEW_DAY)
    reach = fusion_window.family_reach
    monkeypatch.setattr(
        fusion_window, "family_reach", lambda family, params: (reach(family, params)[0], 0)
    )
    _run(data_dir, monkeypatch)
    scopes = _scopes(data_dir)
    assert scopes["prix_carburants_journalier"].endswith("raw rows read from 2023-12-31)"), scopes
    rebuilt = _rebuild(data_dir, samples["root"], "rebuilt_look_back_cut", monkeypatch)
    with pytest.raises(AssertionError, match="prix_carburants_journalier|DataFrame"):
        _assert_same_indices(data_dir, rebuilt)
