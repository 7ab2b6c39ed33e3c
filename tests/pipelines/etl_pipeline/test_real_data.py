"""The real downloads in ../shared/data/real load through the same datasets and nodes
(skipped on a fresh clone, where that folder is absent)."""

from __future__ import annotations

import pandas as pd

from data_collection_kedro.datasets.source_files import CsvSourceDataset, FuelFluxDataset
from data_collection_kedro.validation import parse_source
from tests.support.paths import requires_real_data


def test_real_gas_load_curve_parts_lowercase_comma_headers() -> None:
    folder = requires_real_data("A", "gas_regional_daily_grtgaz_terega")
    raw, quarantine = parse_source(
        "gas_load_curve", CsvSourceDataset(str(folder / "df_part*.csv")).load()
    )
    # one real row has a shifted decimal in one hour (h19 = 1045440.182 MWh): quarantined by
    # the plausible hourly range and by the sum of the hours
    assert len(raw) == 33_720 - 1
    assert quarantine[["source_file", "source_line", "field"]].values.tolist() == [
        ["df_part1.csv", 8821, "h19_mwh"],
        ["df_part1.csv", 8821, "daily_mwh"],
    ]
    assert quarantine["value"].tolist()[0] == "1045440.182"
    assert raw["region"].nunique() == 12 and raw["region_code"].nunique() == 12
    assert str(raw["date"].min()) == "2018-06-01" and str(raw["date"].max()) == "2024-08-09"
    hours = raw[[f"h{h:02d}_mwh" for h in range(24)]].sum(axis=1)
    assert not ((hours - raw["daily_mwh"]).abs() > 1e-6 * raw["daily_mwh"] + 1e-6).any()


def test_real_regional_consumption_with_dst_duplicates() -> None:
    folder = requires_real_data("A", "consommation-quotidienne-brute-regionale_sample")
    raw, quarantine = parse_source(
        "consumption_regional",
        CsvSourceDataset(str(folder / "energies_Ile-de-France_2021-2022.csv")).load(),
    )
    assert len(raw) + len(quarantine) == 34_972
    assert set(quarantine["reason"].str.slice(0, 13)) == {"duplicate key"}  # the 4 DST repeats
    assert set(raw["region_code"]) == {"11"}
    assert raw["timestamp_utc"].is_unique


def test_real_temperature_with_two_digit_years() -> None:
    path = requires_real_data("B", "temperature-quotidienne-regionale_2016-2025.csv")
    raw, quarantine = parse_source("weather_regional", CsvSourceDataset(str(path)).load())
    assert len(raw) == 46_709 and quarantine.empty
    assert raw["region_code"].nunique() == 13
    assert str(raw["date"].min()) == "2016-01-01" and str(raw["date"].max()) == "2025-11-29"


def test_real_historique_meteo_old_and_new_region_files() -> None:
    folder = requires_real_data("B", "historique-meteo_datacorner")
    old, q_old = parse_source(
        "weather_historique",
        CsvSourceDataset(str(folder / "oldReg" / "oldReg_MeteoFR_*.csv")).load(),
    )
    new, q_new = parse_source(
        "weather_historique", CsvSourceDataset(str(folder / "MeteoFR_*.csv")).load()
    )
    assert len(old) == 101_520 and q_old.empty
    # stored as canonical slugs: historique-meteo's "rh-ne-alpes" is Rhône-Alpes
    assert {"rhone-alpes", "ile-de-re", "ardeche"} <= set(old["region"])
    assert "rh-ne-alpes" not in set(old["region"])
    # NaN temperatures are kept as missing values, not quarantined
    assert len(new) == 52_967 and q_new.empty
    assert new["day_duration_h"].between(7, 17).all()


def test_real_strikes_crlf_bom() -> None:
    path = requires_real_data("C", "mouvements-sociaux-depuis-2002.csv")
    raw, quarantine = parse_source("strikes", CsvSourceDataset(str(path)).load())
    assert len(raw) == 469 and quarantine.empty
    assert raw["end_date"].isna().sum() == 241
    assert not raw["reason"].str.endswith("\r").any()


def test_real_fuel_flat_file_and_flux_zips() -> None:
    folder = requires_real_data("D", "official_flux_instantane_xml")
    prices, q_prices = parse_source(
        "fuel_prices",
        CsvSourceDataset(str(folder / "PrixCarburants_instantane_20231128_flat.csv")).load(),
    )
    assert len(prices) == 33_416 and q_prices.empty
    stations, flux_prices, shortages, quarantine = parse_source(
        "fuel_flux", FuelFluxDataset(str(folder / "*.zip")).load()
    )
    assert quarantine.empty and shortages.empty  # these snapshots carry no <rupture>
    assert stations["station_id"].is_unique and len(stations) > 10_000
    assert stations["latitude"].dropna().between(41, 52).mean() > 0.99
    assert pd.Index(flux_prices["station_id"]).isin(stations["station_id"]).all()


def test_real_holiday_exports_in_the_live_layout() -> None:
    from data_collection_kedro.datasets.source_files import concat_source_frames

    folder = requires_real_data("E")
    public_file = CsvSourceDataset(str(folder / "jours_feries_metropole_2002-2027.csv")).load()
    school_file = CsvSourceDataset(str(folder / "fr-en-calendrier-scolaire.csv")).load()
    public, school, quarantine = parse_source(
        "holidays", concat_source_frames([public_file, school_file], [])
    )
    # 2008-05-01 was both Ascension and Labour Day: the key (date, zone, name) keeps both
    assert len(public) == 286 and quarantine.empty
    both = public[public["date"].astype(str) == "2008-05-01"]["name"]
    assert len(both) == 2 and both.nunique() == 2
    assert set(school["zone"]) == {"A", "B", "C", "Corse"}
    zone_c = school[(school["zone"] == "C") & (school["school_year"] == "2022-2023")]
    xmas = zone_c[zone_c["description"] == "Vacances de Noël"].iloc[0]
    assert (str(xmas["start_date"]), str(xmas["end_date"])) == ("2022-12-17", "2023-01-02")
    bridge = school[school["description"] == "Pont de l'Ascension"]
    assert (bridge["end_date"] >= bridge["start_date"]).all()
