"""The fusion pipeline end to end on the small sample: ETL, then fusion, through KedroSession.

Expected values are recomputed here straight from the sample's source files (not from the raw
tables), so a wrong unit, day boundary, region mapping or join in the pipeline fails the test.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pandas as pd
import pytest
import yaml

from data_collection_kedro.domain.contracts import CONTRACTS
from tests.support.paths import KEDRO_PROJECT

HOURS = [f"{h:02d}:00" for h in range(24)]
# the DuckDB column type of each logical contract type
DUCKDB_TYPES = {
    "string": "VARCHAR",
    "text": "VARCHAR",
    "json": "VARCHAR",
    "date": "DATE",
    "float": "DOUBLE",
    "integer": "BIGINT",
    "long": "BIGINT",
    "boolean": "BOOLEAN",
}
HISTORIQUE_84 = {"auvergne", "rh-ne-alpes", "ardeche"}  # old regions of Auvergne-Rhône-Alpes


def _read_csv(path: Path, sep: str = ";") -> pd.DataFrame:
    return pd.read_csv(path, sep=sep, encoding="utf-8-sig", dtype=str)


def _table(data_dir: Path, table: str) -> pd.DataFrame:
    with duckdb.connect(str(data_dir / "energiewatch.duckdb"), read_only=True) as con:
        return con.execute(f"SELECT * FROM {table}").df()


def _stored_columns(data_dir: Path, table: str) -> list[tuple[str, str]]:
    with duckdb.connect(str(data_dir / "energiewatch.duckdb"), read_only=True) as con:
        return [(row[0], row[1]) for row in con.execute(f"DESCRIBE {table}").fetchall()]


def _row(frame: pd.DataFrame, code: str, day: str) -> pd.Series:
    rows = frame[(frame["region_code"] == code) & (pd.to_datetime(frame["day"]) == day)]
    assert len(rows) == 1, f"expected one row for {code} {day}, got {len(rows)}"
    return rows.iloc[0]


def _expected_gas_mwh(sample: Path, region_name: str, day: str) -> tuple[float, int]:
    curve = _read_csv(sample / "courbe-de-charge-eldgrd-regional-grtgaz-terega.csv")
    rows = curve[(curve["Date"] == day) & (curve["Région"] == region_name)]
    return float(rows[HOURS].astype(float).to_numpy().sum()), rows["Opérateur"].nunique()


def _expected_electricity_mwh(sample: Path, code: str, day: str) -> tuple[float, int]:
    source = _read_csv(sample / "consommation-quotidienne-brute-regionale.csv")
    instants = pd.to_datetime(source["Date - Heure"], utc=True).dt.tz_convert("Europe/Paris")
    rows = source[(source["Code INSEE région"] == code) & (instants.dt.strftime("%Y-%m-%d") == day)]
    mw = rows["Consommation brute électricité (MW) - RTE"].astype(float)
    return float(mw.sum() * 0.5), len(rows)


def _expected_weather(sample: Path, code: str, day: str) -> dict[str, float]:
    temps = _read_csv(sample / "temperature-quotidienne-regionale.csv")
    row = temps[(temps["Code INSEE région"] == code) & (temps["ID"].str[:10] == day)].iloc[0]
    year = day[:4]
    hist = pd.concat(
        _read_csv(p, sep=",") for p in (sample / "historique-meteo").glob(f"*{year}-01-01*.csv")
    )
    old = hist[hist["region"].isin(HISTORIQUE_84) & (hist["day"] == day.replace("-", "/"))]
    assert len(old) == len(HISTORIQUE_84)
    return {
        "tmin": float(row["TMin (°C)"]),
        "tmax": float(row["TMax (°C)"]),
        "tmean": float(row["TMoy (°C)"]),
        "wind": float(old["Wind_kmh"].astype(float).mean()),
        "humidity": float(old["Wet_percent"].astype(float).mean()),
    }


def _expected_strikes(sample: Path, day: str) -> tuple[int, float | None]:
    strikes = _read_csv(sample / "mouvements-sociaux-depuis-2002.csv")
    start = pd.to_datetime(strikes["date_de_debut"])
    end = pd.to_datetime(strikes["date_de_fin"]).fillna(start)
    active = strikes[(start <= day) & (end >= day)]
    rates = active["taux_grevistes"].astype(float)
    return len(active), (float(rates.max()) if rates.notna().any() else None)


def _weights() -> dict[str, float]:
    params = yaml.safe_load(
        (KEDRO_PROJECT / "conf/base/parameters_data_fusion_pipeline.yml").read_text("utf-8")
    )
    weights = params["data_fusion"]["national_temperature"]["weights"]
    return {str(k): float(v) for k, v in weights.items()}


def _check_national_and_forecast_indices(sample: Path, data_dir: Path, day: str) -> None:
    """consommation_nationale = the national file summed over the Paris day (and the sum of
    the regions); the national temperature and forecasts = the regions weighted."""
    national = _table(data_dir, "consommation_nationale")
    assert not national.duplicated("day").any() and len(national) == 1095
    row = national[pd.to_datetime(national["day"]) == day].iloc[0]
    source = _read_csv(sample / "consommation-quotidienne-brute.csv")
    instants = pd.to_datetime(source["Date - Heure"], utc=True).dt.tz_convert("Europe/Paris")
    rows = source[instants.dt.strftime("%Y-%m-%d") == day]
    electricity = rows["Consommation brute électricité (MW) - RTE"].astype(float).sum() * 0.5
    gas = rows["Consommation brute gaz totale (MW PCS 0°C)"].dropna().astype(float).sum()
    assert row["electricity_consumption_mwh"] == pytest.approx(electricity, rel=1e-12)
    assert row["gas_consumption_mwh"] == pytest.approx(gas, rel=1e-12)
    regional = sum(_expected_electricity_mwh(sample, c, day)[0] for c in ("11", "53", "75", "84"))
    assert electricity == pytest.approx(regional, rel=1e-12)  # the sample's nation = its regions
    assert bool(row["electricity_is_complete"]) and bool(row["gas_is_complete"])

    weights = _weights()
    temps = _read_csv(sample / "temperature-quotidienne-regionale.csv")
    temps = temps[temps["ID"].str[:10] == day]
    w = temps["Code INSEE région"].map(weights)
    expected = float((temps["TMoy (°C)"].astype(float) * w).sum() / w.sum())
    assert row["temp_mean_c"] == pytest.approx(expected)
    assert row["heating_degree_days"] == pytest.approx(max(0.0, 17 - expected))
    assert row["temp_weight_share"] == pytest.approx(w.sum() / sum(weights.values()))

    forecasts = _table(data_dir, "previsions_meteo")
    assert len(forecasts) == 4 * 1095 * 8  # every region, issue day and lead 0..7
    assert sorted(forecasts["lead_days"].unique()) == list(range(8))
    file = _read_csv(sample / "previsions-meteo-regionales.csv")
    issued = file[file["date_emission"] == day]
    mine = forecasts[pd.to_datetime(forecasts["issue_day"]) == day]
    assert len(mine) == len(issued) == 4 * 8
    merged = mine.assign(
        code=mine["region_code"], target=pd.to_datetime(mine["day"]).dt.strftime("%Y-%m-%d")
    ).merge(issued, left_on=["code", "target"], right_on=["code_insee_region", "date_cible"])
    assert (merged["temp_mean_c"] == merged["temperature_2m_mean"].astype(float)).all()
    national_forecasts = _table(data_dir, "previsions_meteo_nationales")
    assert len(national_forecasts) == 1095 * 8
    next_day = str((pd.Timestamp(day) + pd.Timedelta(days=1)).date())
    tomorrow = issued[issued["date_cible"] == next_day]
    w = tomorrow["code_insee_region"].map(weights)
    expected = float((tomorrow["temperature_2m_mean"].astype(float) * w).sum() / w.sum())
    one = national_forecasts[
        (pd.to_datetime(national_forecasts["issue_day"]) == day)
        & (national_forecasts["lead_days"] == 1)
    ]
    assert one["temp_mean_c"].item() == pytest.approx(expected)


@pytest.mark.slow
def test_fusion_end_to_end_on_the_sample(sample_data_dir, data_dir, run_pipeline):
    run_pipeline("etl_pipeline")
    # the small sample has 4 of the 13 regions (43 % of the national weight)
    national = {"data_fusion": {"national_temperature": {"min_weight_share": 0.4}}}
    run_pipeline("data_fusion_pipeline", params=national)
    meteo = _table(data_dir, "meteo_consommation")
    mouvements = _table(data_dir, "consommation_mouvements")
    fuel = _table(data_dir, "prix_carburants_journalier")
    quality = _table(data_dir, "fusion_data_quality")

    # Every index is stored with its contract's columns, in order, with their types.
    for table in (
        "meteo_consommation",
        "consommation_mouvements",
        "prix_carburants_journalier",
        "previsions_meteo",
        "previsions_meteo_nationales",
        "consommation_nationale",
        "fusion_data_quality",
    ):
        expected = [(c, DUCKDB_TYPES[t]) for c, t in CONTRACTS[table].columns.items()]
        assert _stored_columns(data_dir, table) == expected, table

    # Every region of the sample on every day, once.
    assert sorted(meteo["region_code"].unique()) == ["11", "53", "75", "84"]
    assert len(meteo) == 4 * 1095 and not meteo.duplicated(["region_code", "day"]).any()
    assert len(mouvements) == len(meteo)

    # Hand-checked region-days: a winter day, both DST days (23 h / 25 h) and a summer day.
    for code, name, day, half_hours in [
        ("84", "auvergne-rhône-alpes", "2022-01-12", 48),
        ("84", "auvergne-rhône-alpes", "2022-03-27", 46),
        ("84", "auvergne-rhône-alpes", "2022-10-30", 50),
        ("53", "bretagne", "2021-07-14", 48),
    ]:
        row = _row(meteo, code, day)
        gas, operators = _expected_gas_mwh(sample_data_dir, name, day)
        electricity, slots = _expected_electricity_mwh(sample_data_dir, code, day)
        assert slots == half_hours
        assert row["gas_consumption_mwh"] == pytest.approx(gas, rel=1e-9)
        assert row["gas_operator_count"] == operators == (2 if code == "84" else 1)
        assert row["electricity_consumption_mwh"] == pytest.approx(electricity, rel=1e-9)
        assert bool(row["is_complete"])
        assert row[[f"gas_h{h:02d}_share" for h in range(24)]].astype(float).sum() == (
            pytest.approx(1.0)
        )
        if code == "84":
            weather = _expected_weather(sample_data_dir, code, day)
            assert row["temp_min_c"] == pytest.approx(weather["tmin"])
            assert row["temp_max_c"] == pytest.approx(weather["tmax"])
            assert row["temp_mean_c"] == pytest.approx(weather["tmean"])
            assert row["heating_degree_days"] == pytest.approx(max(0.0, 17 - weather["tmean"]))
            assert row["wind_kmh"] == pytest.approx(weather["wind"])
            assert row["humidity_pct"] == pytest.approx(weather["humidity"])
        movement = _row(mouvements, code, day)
        count, rate = _expected_strikes(sample_data_dir, day)
        assert movement["strike_count"] == count
        assert bool(movement["strike_active"]) == (count > 0)
        if rate is not None:
            assert movement["strike_rate_pct"] == pytest.approx(rate)
        assert movement["gas_consumption_mwh"] == pytest.approx(gas, rel=1e-9)
        assert movement["weekday"] == pd.Timestamp(day).weekday()

    bastille = _row(mouvements, "53", "2021-07-14")
    assert bool(bastille["is_public_holiday"]) and bool(bastille["is_school_holiday"])

    # Fuel: department and region from the postcode, min <= median <= max, keys unique.
    assert not fuel.duplicated(["day", "department_code", "fuel"]).any()
    assert (fuel["price_min_eur_l"] <= fuel["price_median_eur_l"]).all()
    assert (fuel["price_median_eur_l"] <= fuel["price_max_eur_l"]).all()
    assert set(fuel["fuel"]) <= {"Gazole", "SP95", "SP98", "E10", "E85", "GPLc"}
    assert fuel["region_code"].notna().all() and (fuel["station_count"] > 0).any()

    # Data quality: one row per (index, check), JSON detail, every index reported.
    assert not quality.duplicated(["index", "check"]).any()
    assert set(quality["index"]) == {
        "meteo_consommation",
        "consommation_mouvements",
        "prix_carburants_journalier",
        "previsions_meteo",
        "previsions_meteo_nationales",
        "consommation_nationale",
    }
    for detail in quality["detail"]:
        json.loads(detail)
    for day in ("2022-01-12", "2022-03-27", "2022-10-30"):  # a winter day, both DST days
        _check_national_and_forecast_indices(sample_data_dir, data_dir, day)

    # Re-run: same rows (indices are replaced, not appended).
    run_pipeline("data_fusion_pipeline", params=national)
    again = _table(data_dir, "meteo_consommation")
    pd.testing.assert_frame_equal(
        again.sort_values(["region_code", "day"]).reset_index(drop=True),
        meteo.sort_values(["region_code", "day"]).reset_index(drop=True),
    )
    assert len(_table(data_dir, "prix_carburants_journalier")) == len(fuel)


@pytest.mark.slow
def test_fusion_handles_a_missing_operator_and_a_partial_last_day(
    sample_data_dir, data_dir, run_pipeline
):
    """The real courbe de charge lacks Teréga rows on some days and ends on a partial day."""
    path = sample_data_dir / "courbe-de-charge-eldgrd-regional-grtgaz-terega.csv"
    curve = _read_csv(path)
    gap_days = {"2023-07-10", "2023-07-11"}
    terega_84 = (curve["Opérateur"] == "Teréga") & (curve["Région"] == "auvergne-rhône-alpes")
    curve = curve[~(terega_84 & curve["Date"].isin(gap_days))]
    last = curve["Date"] == "2023-12-31"
    curve.loc[last, HOURS[8:]] = None  # partial last day: only 00:00-07:00
    curve.to_csv(path, sep=";", index=False, encoding="utf-8-sig")

    run_pipeline("etl_pipeline")
    run_pipeline("data_fusion_pipeline")
    meteo = _table(data_dir, "meteo_consommation")
    quality = _table(data_dir, "fusion_data_quality").set_index("check")

    full = _row(meteo, "84", "2023-07-09")
    assert bool(full["is_complete"]) and not bool(full["gas_imputed"])
    for day in sorted(gap_days):
        row = _row(meteo, "84", day)
        grtgaz_only, _ = _expected_gas_mwh(path.parent, "auvergne-rhône-alpes", day)
        assert bool(row["gas_imputed"]) and not bool(row["is_complete"])
        assert row["gas_operator_count"] == 1
        # Teréga's share in the sample is small but positive: imputed total slightly above.
        assert grtgaz_only < row["gas_consumption_mwh"] < grtgaz_only * 1.05
    missing = json.loads(quality.loc["gas_missing_operator", "detail"])
    assert missing["keys"] == ["84|2023-07-10|Teréga", "84|2023-07-11|Teréga"]
    assert quality.loc["gas_missing_operator", "rows_out"] == 2

    for code in ("11", "53", "75", "84"):
        last_day = _row(meteo, code, "2023-12-31")
        assert pd.isna(last_day["gas_consumption_mwh"]) and not bool(last_day["is_complete"])
    partial = json.loads(quality.loc["gas_partial_or_zero_rows", "detail"])
    assert "84|2023-12-31|GRTgaz|8h" in partial["keys"]
