"""Region reference data: canonical codes, old regions, departments."""

import pytest

from data_collection_kedro.domain.regions import (
    DEPARTMENT_TO_REGION,
    REGION_BY_CODE,
    REGIONS,
    UnknownRegionError,
    department_of_postcode,
    normalize_region_name,
    region_code_for,
)


def test_thirteen_metropolitan_regions_with_unique_codes():
    assert len(REGIONS) == 13
    assert len(REGION_BY_CODE) == 13


def test_every_department_maps_to_a_known_region_and_96_departments():
    assert len(DEPARTMENT_TO_REGION) == 96
    assert set(DEPARTMENT_TO_REGION.values()) == set(REGION_BY_CODE)


@pytest.mark.parametrize(
    ("spelling", "code"),
    [
        ("Auvergne-Rhône-Alpes", "84"),
        ("auvergne-rhône-alpes", "84"),
        ("Auvergne-Rhone-Alpes", "84"),
        ("rh-ne-alpes", "84"),
        ("Provence-Alpes-Cote d'Azur", "93"),
        ("provence-alpes-c-te-d-azur", "93"),
        ("alsace", "44"),
        ("lorraine", "44"),
        ("limousin", "75"),
        ("île-de-france", "11"),
        ("84", "84"),
    ],
)
def test_region_spellings(spelling, code):
    assert region_code_for(spelling) == code


def test_unknown_region_is_an_error_naming_it():
    with pytest.raises(UnknownRegionError, match="Atlantis"):
        normalize_region_name("Atlantis")


@pytest.mark.parametrize(
    ("postcode", "dept"), [("01000", "01"), ("20000", "2A"), ("20200", "2B"), ("75011", "75")]
)
def test_department_of_postcode(postcode, dept):
    assert department_of_postcode(postcode) == dept
