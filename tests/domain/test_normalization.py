"""Region, day and status normalization rules of the fusion pipeline."""

import json

import pandas as pd
import pytest

from data_collection_kedro.domain.normalization import (
    calendar_day,
    expected_slots_per_day,
    map_fuel,
    map_operator,
    map_status,
    normalize_regions,
    quality_row,
    utc_to_local_day,
)
from data_collection_kedro.domain.regions import REGION_BY_CODE, is_old_region, region_code_for

# Every region spelling found in the real files under ../shared/data/real (names only).
GAS_LOAD_CURVE_NAMES = {
    "auvergne-rhône-alpes": "84",
    "bourgogne-franche-comté": "27",
    "bretagne": "53",
    "centre-val de loire": "24",
    "grand est": "44",
    "hauts-de-france": "32",
    "normandie": "28",
    "nouvelle-aquitaine": "75",
    "occitanie": "76",
    "pays de la loire": "52",
    "provence-alpes-côte d'azur": "93",
    "île-de-france": "11",
}
TEMPERATURE_NAMES = {
    "Auvergne-Rhône-Alpes": "84",
    "Bourgogne-Franche-Comté": "27",
    "Bretagne": "53",
    "Centre-Val de Loire": "24",
    "Corse": "94",
    "Grand Est": "44",
    "Hauts-de-France": "32",
    "Normandie": "28",
    "Nouvelle-Aquitaine": "75",
    "Occitanie": "76",
    "Pays de la Loire": "52",
    "Provence-Alpes-Côte d'Azur": "93",
    "Île-de-France": "11",
}
WIND_SOLAR_NAMES = {
    "Auvergne-Rhone-Alpes": "84",
    "Bourgogne-Franche-Comte": "27",
    "Bretagne": "53",
    "Centre-Val de Loire": "24",
    "Grand Est": "44",
    "Hauts-de-France": "32",
    "Ile-de-France": "11",
    "Normandie": "28",
    "Nouvelle-Aquitaine": "75",
    "Occitanie": "76",
    "Pays de la Loire": "52",
    "Provence-Alpes-Cote d'Azur": "93",
}
# historique-meteo oldReg files: pre-2016 regions as slugs -> the new region they belong to.
HISTORIQUE_OLD_REGION_NAMES = {
    "alsace": "44",
    "aquitaine": "75",
    "ardeche": "84",
    "auvergne": "84",
    "bourgogne": "27",
    "bretagne": "53",
    "centre": "24",
    "champagne-ardenne": "44",
    "corse": "94",
    "franche-comte": "27",
    "ile-de-france": "11",
    "ile-de-re": "75",
    "languedoc-roussillon": "76",
    "limousin": "75",
    "lorraine": "44",
    "midi-pyrenees": "76",
    "nord-pas-de-calais": "32",
    "normandie": "28",
    "pays-de-la-loire": "52",
    "picardie": "32",
    "poitou-charentes": "75",
    "provence-alpes-c-te-d-azur": "93",
    "rh-ne-alpes": "84",
}
HISTORIQUE_NEW_REGION_NAMES = {
    "Bourgogne-Franche-Comté": "27",
    "Bretagne": "53",
    "Centre-Val de Loire": "24",
    "Corse": "94",
    "Grand Est": "44",
    "Hauts-de-France": "32",
    "Normandie": "28",
    "Nouvelle-Aquitaine": "75",
    "Occitanie": "76",
    "Pays de la Loire": "52",
    "Provence-Alpes-Côte d'Azur": "93",
    "Île-de-France": "11",
}
ALL_REAL_NAMES = {
    **GAS_LOAD_CURVE_NAMES,
    **TEMPERATURE_NAMES,
    **WIND_SOLAR_NAMES,
    **HISTORIQUE_OLD_REGION_NAMES,
    **HISTORIQUE_NEW_REGION_NAMES,
}


@pytest.mark.parametrize(("name", "code"), sorted(ALL_REAL_NAMES.items()))
def test_every_real_region_spelling_resolves(name, code):
    assert region_code_for(name) == code


def test_normalize_regions_gives_official_names_and_reports_unknown():
    frame = pd.DataFrame({"region": [*ALL_REAL_NAMES, "Atlantis", None]})
    known, unknown = normalize_regions(frame, "region")
    assert len(known) == len(ALL_REAL_NAMES)
    assert (known["region_code"] == known["region_source"].map(ALL_REAL_NAMES)).all()
    assert (known["region"] == known["region_code"].map(lambda c: REGION_BY_CODE[c].name)).all()
    assert unknown["region_source"].fillna("<NA>").tolist() == ["Atlantis", "<NA>"]


def test_source_code_wins_over_a_name_and_invalid_code_falls_back_to_name():
    frame = pd.DataFrame({"region": ["Grand Est", "Bretagne"], "region_code": ["44", "99"]})
    known, unknown = normalize_regions(frame, "region", "region_code")
    assert known["region_code"].tolist() == ["44", "53"]
    assert unknown.empty


def test_old_to_new_region_mapping_covers_every_new_region_with_old_ones():
    old = [n for n in HISTORIQUE_OLD_REGION_NAMES if is_old_region(n)]
    assert {"alsace", "lorraine", "champagne-ardenne", "rh-ne-alpes", "ile-de-re"} <= set(old)
    assert not is_old_region("bretagne") and not is_old_region("Grand Est")
    grand_est = sorted(n for n in old if HISTORIQUE_OLD_REGION_NAMES[n] == "44")
    assert grand_est == ["alsace", "champagne-ardenne", "lorraine"]
    new_aquitaine = sorted(n for n in old if HISTORIQUE_OLD_REGION_NAMES[n] == "75")
    assert new_aquitaine == ["aquitaine", "ile-de-re", "limousin", "poitou-charentes"]


def test_dst_days_have_46_and_50_half_hours():
    days = pd.Series(pd.to_datetime(["2023-03-26", "2023-06-01", "2023-10-29"]))
    assert expected_slots_per_day(days, 30).tolist() == [46, 48, 50]
    assert expected_slots_per_day(days, 60).tolist() == [23, 24, 25]


def test_utc_instants_fall_on_their_paris_day():
    # 22:30 UTC in summer is 00:30 the next day in Paris; in winter 23:30 the same day.
    utc = pd.Series(pd.to_datetime(["2023-06-30T22:30:00Z", "2023-12-31T22:30:00Z"]))
    assert utc_to_local_day(utc).dt.strftime("%Y-%m-%d").tolist() == ["2023-07-01", "2023-12-31"]


def test_calendar_day_accepts_every_source_format():
    values = pd.Series(["2021-03-31", "31/03/2021", "31/03/21", "2021/03/31", "garbage"])
    parsed = calendar_day(values)
    assert parsed[:4].dt.strftime("%Y-%m-%d").tolist() == ["2021-03-31"] * 4
    assert pd.isna(parsed[4])


def test_status_operator_and_fuel_spellings_are_mapped():
    assert map_status(
        pd.Series(["Définitif", "definitif", "Meilleur Statut", "Consolidé"])
    ).tolist() == [
        "Définitif",
        "Définitif",
        "Meilleur statut",
        "Consolidé",
    ]
    assert map_operator(pd.Series(["GRTgaz", "NaTran", "Teréga", "TEREGA"])).tolist() == [
        "GRTgaz",
        "GRTgaz",
        "Teréga",
        "Teréga",
    ]
    assert map_fuel(pd.Series(["GAZOLE", "GPLC", "E10"])).tolist() == ["Gazole", "GPLc", "E10"]


def test_quality_row_counts_every_key_and_truncates_the_listing():
    row = quality_row("i", "c", 10, 8, [f"k{i}" for i in range(5)], max_keys=2, rule="r")
    assert row["unmatched_keys"] == 5
    detail = json.loads(row["detail"])
    assert detail["keys"] == ["k0", "k1"] and detail["keys_truncated"] is True
