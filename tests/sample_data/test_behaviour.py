"""Determinism, range independence and the model behind the sample numbers."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from data_collection_kedro.sample_data import generate
from data_collection_kedro.sample_data.model import anomalies_for

from .conftest import read_source

HOURS = [f"{h:02d}:00" for h in range(24)]
TINY = {"regions": ["75"], "fuel_stations": 12, "fuel_price_rows": 400}
CONSUMPTION = "consommation-quotidienne-brute-regionale.csv"
LOAD_CURVE = "courbe-de-charge-eldgrd-regional-grtgaz-terega.csv"


def _files(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


def test_same_seed_same_bytes_other_seed_other_values(tmp_path: Path) -> None:
    kwargs = {"start": "2022-01-01", "end": "2022-02-28", "seed": 3, **TINY}
    generate(tmp_path / "a", **kwargs)
    generate(tmp_path / "b", **kwargs)
    first, second = _files(tmp_path / "a"), _files(tmp_path / "b")
    assert len(first) == 12
    assert first == second
    generate(tmp_path / "c", **{**kwargs, "seed": 4})
    other = _files(tmp_path / "c")
    assert other.keys() == first.keys()
    assert other[CONSUMPTION] != first[CONSUMPTION]
    assert other["prix-carburants-historique.csv"] != first["prix-carburants-historique.csv"]


def test_overlapping_ranges_give_identical_rows(tmp_path: Path) -> None:
    short = generate(tmp_path / "short", start="2021-05-01", end="2021-06-30", seed=11, **TINY)
    long = generate(tmp_path / "long", start="2021-03-01", end="2021-07-31", seed=11, **TINY)
    assert short["files"][CONSUMPTION]["rows"] < long["files"][CONSUMPTION]["rows"]
    for name, day_column, fmt in (
        (CONSUMPTION, "Date", "%d/%m/%Y"),
        (LOAD_CURVE, "Date", "%Y-%m-%d"),
        ("temperature-quotidienne-regionale.csv", "Date", "%d/%m/%y"),
    ):
        a = read_source(tmp_path / "short" / name)
        b = read_source(tmp_path / "long" / name)
        days = pd.to_datetime(b[day_column], format=fmt)
        shared = b[(days >= "2021-05-01") & (days <= "2021-06-30")].reset_index(drop=True)
        pd.testing.assert_frame_equal(a, shared, obj=name)
    hist = "historique-meteo/oldReg_MeteoFR_2021-05-01_2021-06-30.csv"
    a = read_source(tmp_path / "short" / hist, sep=",")
    b = read_source(
        tmp_path / "long" / "historique-meteo/oldReg_MeteoFR_2021-03-01_2021-07-31.csv", sep=","
    )
    b = b[b["day"].between("2021/05/01", "2021/06/30")].reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b)


def _daily_gas(load_curve: pd.DataFrame) -> pd.DataFrame:
    values = load_curve.assign(
        daily=pd.to_numeric(load_curve["Consommation journalière (MWh - PCS 0°C)"]),
        day=pd.to_datetime(load_curve["Date"]),
    )
    return values.groupby(["Région", "day"])["daily"].sum().unstack(0)


def _daily_electricity(consumption: pd.DataFrame) -> pd.DataFrame:
    values = consumption.assign(
        mw=pd.to_numeric(consumption["Consommation brute électricité (MW) - RTE"]),
        day=pd.to_datetime(consumption["Date"], format="%d/%m/%Y"),
    )
    return (values.groupby(["Code INSEE région", "day"])["mw"].sum() / 2).unstack(0)


def _ratio_to_neighbours(series: pd.Series, day: pd.Timestamp) -> float:
    window = series.loc[day - pd.Timedelta(days=3) : day + pd.Timedelta(days=3)].drop(day)
    return float(series.loc[day] / window.median())


def test_ground_truth_anomalies_deviate_from_their_neighbours(
    small_sample_dir: Path, load_curve: pd.DataFrame, consumption: pd.DataFrame
) -> None:
    truth = pd.read_csv(small_sample_dir / "anomalies_ground_truth.csv", dtype=str)
    assert len(truth) >= 4
    assert set(truth["kind"]) <= {"spike", "drop", "flat"}
    gas = _daily_gas(load_curve)
    electricity = _daily_electricity(consumption)
    for row in truth.itertuples():
        day = pd.Timestamp(row.date)
        series = gas[row.region.lower()] if row.energy == "gas" else electricity[row.region_code]
        ratio = _ratio_to_neighbours(series, day)
        if row.kind == "spike":
            assert ratio > 1.2, (row, ratio)
        elif row.kind == "drop":
            assert ratio < 0.75, (row, ratio)


def _find_flat(seed: int, energy: str) -> tuple[str, pd.Timestamp]:
    for code in ("75", "84", "11", "53", "93", "44", "32", "28", "27", "24", "52", "76", "94"):
        for anomaly in anomalies_for(seed, code, range(2018, 2025)):
            if anomaly.kind == "flat" and anomaly.energy == energy:
                return code, anomaly.day
    raise AssertionError(f"no flat {energy} anomaly for seed {seed}")


@pytest.mark.parametrize("energy", ["gas", "electricity"])
def test_flat_anomaly_has_a_flat_profile(tmp_path: Path, energy: str) -> None:
    code, day = _find_flat(42, energy)
    start, end = day - pd.Timedelta(days=5), day + pd.Timedelta(days=5)
    generate(
        tmp_path,
        start=start.strftime("%Y-%m-%d"),
        end=end.strftime("%Y-%m-%d"),
        regions=[code],
        fuel_stations=5,
        fuel_price_rows=100,
    )
    truth = pd.read_csv(tmp_path / "anomalies_ground_truth.csv", dtype=str)
    assert truth.to_dict("records") == [
        {
            "region_code": code,
            "region": truth["region"][0],
            "date": day.strftime("%Y-%m-%d"),
            "energy": energy,
            "kind": "flat",
            "factor": "1.00",
        }
    ]
    rows = read_source(tmp_path / CONSUMPTION)
    rows["day"] = pd.to_datetime(rows["Date"], format="%d/%m/%Y")
    column = (
        "Consommation brute gaz totale (MW PCS 0°C)"
        if energy == "gas"
        else "Consommation brute électricité (MW) - RTE"
    )
    rows = rows[rows[column] != ""]
    values = pd.to_numeric(rows[column])
    spread = values.groupby(rows["day"]).agg(lambda v: v.std() / v.mean())
    assert spread[day] < 0.002
    assert (spread.drop(day) > 0.02).all()


def test_gas_falls_when_temperature_rises(
    load_curve: pd.DataFrame, temperatures: pd.DataFrame
) -> None:
    gas = _daily_gas(load_curve)
    temps = temperatures.assign(
        day=pd.to_datetime(temperatures["ID"].str[:10]), t=pd.to_numeric(temperatures["TMoy (°C)"])
    )
    for region, code in (("île-de-france", "11"), ("nouvelle-aquitaine", "75")):
        t = temps[temps["Code INSEE région"] == code].set_index("day")["t"]
        corr = np.corrcoef(gas[region].loc[t.index], t)[0, 1]
        assert corr < -0.85, (region, corr)


def test_weekend_and_post_2022_effects(consumption: pd.DataFrame, load_curve: pd.DataFrame) -> None:
    electricity = _daily_electricity(consumption)["11"]
    weekday = electricity.index.day_of_week
    assert electricity[weekday == 6].mean() < 0.93 * electricity[weekday < 5].mean()
    gas = _daily_gas(load_curve)["île-de-france"]
    summer = gas.index.month.isin([6, 7, 8])
    assert (
        gas[summer & (gas.index.year == 2023)].mean()
        < 0.95 * gas[summer & (gas.index.year == 2021)].mean()
    )


def test_corsica_has_no_gas(tmp_path: Path) -> None:
    generate(
        tmp_path,
        start="2023-01-01",
        end="2023-01-31",
        regions=["94"],
        fuel_stations=8,
        fuel_price_rows=50,
    )
    rows = read_source(tmp_path / CONSUMPTION)
    assert len(rows) == 31 * 48
    assert (rows["Consommation brute gaz totale (MW PCS 0°C)"] == "").all()
    assert (rows["Consommation brute électricité (MW) - RTE"] != "").all()
    assert len(read_source(tmp_path / LOAD_CURVE)) == 0
    fuel = read_source(tmp_path / "prix-carburants-historique.csv")
    assert set(fuel["cp"].str[:2]) == {"20"}


def test_cli_writes_sample_and_reports_time(tmp_path: Path) -> None:
    out = tmp_path / "cli"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "data_collection_kedro.sample_data",
            "--out",
            str(out),
            "--start",
            "2020-02-01",
            "--end",
            "2020-02-10",
            "--regions",
            "53,11",
            "--fuel-stations",
            "10",
            "--fuel-price-rows",
            "300",
            "--seed",
            "5",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "sample data written to" in result.stdout and " s" in result.stdout
    manifest = (out / "manifest.json").read_text(encoding="utf-8")
    assert '"regions": [\n      "11",\n      "53"\n    ]' in manifest
    assert len(read_source(out / "prix-carburants-historique.csv")) == 300


def test_cli_rejects_unknown_region(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "data_collection_kedro.sample_data",
            "--out",
            str(tmp_path),
            "--regions",
            "99",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert "unknown region code(s) ['99']" in result.stderr


def test_too_few_fuel_rows_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="fuel_price_rows=3 is smaller than"):
        generate(
            tmp_path,
            start="2023-01-01",
            end="2023-01-02",
            regions=["53"],
            fuel_stations=10,
            fuel_price_rows=3,
        )


@pytest.mark.parametrize("seed", [42, 7, 123])
def test_three_to_six_anomalies_per_region_over_seven_years(seed: int) -> None:
    from data_collection_kedro.domain.regions import REGIONS

    kinds = set()
    for region in REGIONS:
        anomalies = anomalies_for(seed, region.code, range(2018, 2025))
        assert 3 <= len(anomalies) <= 6, (seed, region.code, len(anomalies))
        assert len({a.day for a in anomalies}) == len(anomalies)
        for a in anomalies:
            kinds.add(a.kind)
            assert a.energy in {"gas", "electricity"}
            if region.code == "94":
                assert a.energy == "electricity", "Corsica has no gas network"
            if a.kind == "spike":
                assert 1.4 <= a.factor <= 1.8
            elif a.kind == "drop":
                assert 0.3 <= a.factor <= 0.6
            else:
                assert a.factor == 1.0
    assert kinds == {"spike", "drop", "flat"}
