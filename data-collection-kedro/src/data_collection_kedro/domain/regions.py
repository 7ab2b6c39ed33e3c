"""Reference data for French metropolitan regions, shared by every pipeline.

One place for: the 13 post-2016 regions (INSEE code + official name), the pre-2016
regions and the slugs used by historique-meteo, the departments of each region and
the school-holiday zone of each region.  Spelling variants (accents, case, hyphens,
slugs) are resolved by :func:`normalize_region_name`. The regions' simplified outlines (open
data, for maps) ship with the package: :func:`region_outlines`.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any


@dataclass(frozen=True)
class Region:
    code: str  # INSEE region code, e.g. "84"
    name: str  # official name, e.g. "Auvergne-Rhône-Alpes"
    school_zone: str  # "A", "B", "C" or "Corse"


REGIONS: tuple[Region, ...] = (
    Region("11", "Île-de-France", "C"),
    Region("24", "Centre-Val de Loire", "B"),
    Region("27", "Bourgogne-Franche-Comté", "A"),
    Region("28", "Normandie", "B"),
    Region("32", "Hauts-de-France", "B"),
    Region("44", "Grand Est", "B"),
    Region("52", "Pays de la Loire", "B"),
    Region("53", "Bretagne", "B"),
    Region("75", "Nouvelle-Aquitaine", "A"),
    Region("76", "Occitanie", "C"),
    Region("84", "Auvergne-Rhône-Alpes", "A"),
    Region("93", "Provence-Alpes-Côte d'Azur", "B"),
    Region("94", "Corse", "Corse"),
)
REGION_BY_CODE: dict[str, Region] = {r.code: r for r in REGIONS}
# The national series (metropolitan France) where a region code is expected: national
# consumption and temperature in the forecasting features and outputs.
NATIONAL_CODE = "FR"
NATIONAL_NAME = "France métropolitaine"

# Pre-2016 regions (and the extra slugs historique-meteo uses) -> INSEE code of the new region.
OLD_REGION_TO_CODE: dict[str, str] = {
    "alsace": "44",
    "champagne-ardenne": "44",
    "lorraine": "44",
    "aquitaine": "75",
    "limousin": "75",
    "poitou-charentes": "75",
    "ile-de-re": "75",  # island in Charente-Maritime, reported separately by historique-meteo
    "auvergne": "84",
    "rhone-alpes": "84",
    "ardeche": "84",  # department reported as a region by historique-meteo
    "bourgogne": "27",
    "franche-comte": "27",
    "basse-normandie": "28",
    "haute-normandie": "28",
    "nord-pas-de-calais": "32",
    "picardie": "32",
    "languedoc-roussillon": "76",
    "midi-pyrenees": "76",
    "centre": "24",
    "bretagne": "53",
    "ile-de-france": "11",
    "pays-de-la-loire": "52",
    "provence-alpes-cote-d-azur": "93",
    "corse": "94",
    "normandie": "28",
}

# Slugs as historique-meteo writes them: non-ASCII letters replaced by "-" (rh-ne-alpes).
HISTORIQUE_METEO_SLUGS: dict[str, str] = {
    "rh-ne-alpes": "rhone-alpes",
    "provence-alpes-c-te-d-azur": "provence-alpes-cote-d-azur",
    "franche-comt-": "franche-comte",
    "midi-pyr-n-es": "midi-pyrenees",
    "le-de-france": "ile-de-france",
}

# Metropolitan departments -> INSEE region code.
DEPARTMENT_TO_REGION: dict[str, str] = {
    **dict.fromkeys(["75", "77", "78", "91", "92", "93", "94", "95"], "11"),
    **dict.fromkeys(["18", "28", "36", "37", "41", "45"], "24"),
    **dict.fromkeys(["21", "25", "39", "58", "70", "71", "89", "90"], "27"),
    **dict.fromkeys(["14", "27", "50", "61", "76"], "28"),
    **dict.fromkeys(["02", "59", "60", "62", "80"], "32"),
    **dict.fromkeys(["08", "10", "51", "52", "54", "55", "57", "67", "68", "88"], "44"),
    **dict.fromkeys(["44", "49", "53", "72", "85"], "52"),
    **dict.fromkeys(["22", "29", "35", "56"], "53"),
    **dict.fromkeys(["16", "17", "19", "23", "24", "33", "40", "47", "64", "79", "86", "87"], "75"),
    **dict.fromkeys(
        ["09", "11", "12", "30", "31", "32", "34", "46", "48", "65", "66", "81", "82"], "76"
    ),
    **dict.fromkeys(["01", "03", "07", "15", "26", "38", "42", "43", "63", "69", "73", "74"], "84"),
    **dict.fromkeys(["04", "05", "06", "13", "83", "84"], "93"),
    **dict.fromkeys(["2A", "2B"], "94"),
}


def slugify(text: str) -> str:
    """Lower-case ASCII slug: accents stripped, every non-alphanumeric run -> '-'."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


_SLUG_TO_CODE: dict[str, str] = {slugify(r.name): r.code for r in REGIONS}
_SLUG_TO_CODE.update({slugify(k): v for k, v in OLD_REGION_TO_CODE.items()})
_SLUG_TO_CODE.update({k: OLD_REGION_TO_CODE[v] for k, v in HISTORIQUE_METEO_SLUGS.items()})


def region_spellings() -> dict[str, str]:
    """Every known spelling slug (new and old regions, historique-meteo slugs) -> INSEE code
    (for lookups outside Python, e.g. a SQL ``CASE``; :func:`region_code_for` in Python)."""
    return dict(_SLUG_TO_CODE)


def historique_region_spellings() -> dict[str, str]:
    """Spelling slug -> canonical slug of a region as historique-meteo names it: a new or old
    region's own slug (``alsace``, ``auvergne-rhone-alpes``), its slugs with a letter dropped
    resolved (``rh-ne-alpes`` -> ``rhone-alpes``)."""
    canonical = {slug: slug for slug in _SLUG_TO_CODE if slug not in HISTORIQUE_METEO_SLUGS}
    canonical.update({alias: slugify(name) for alias, name in HISTORIQUE_METEO_SLUGS.items()})
    return canonical


class UnknownRegionError(ValueError):
    """A region spelling that matches no known region."""


def region_code_for(name: str) -> str | None:
    """INSEE code of the (new) region a spelling refers to, or None when unknown.

    Accepts official names, any case, with or without accents or hyphens, INSEE codes,
    pre-2016 region names and historique-meteo slugs (``rh-ne-alpes``).
    """
    if name is None:
        return None
    text = str(name).strip()
    if text in REGION_BY_CODE:
        return text
    slug = slugify(text)
    if slug in _SLUG_TO_CODE:
        return _SLUG_TO_CODE[slug]
    return None


def normalize_region_name(name: str) -> Region:
    """The canonical :class:`Region` for a spelling; raises UnknownRegionError otherwise."""
    code = region_code_for(name)
    if code is None:
        raise UnknownRegionError(f"unknown region name {name!r}")
    return REGION_BY_CODE[code]


def is_old_region(name: str) -> bool:
    """True when the spelling names a pre-2016 region (or sub-region slug) rather than a new one."""
    slug = slugify(str(name))
    new_slugs = {slugify(r.name) for r in REGIONS}
    return slug not in new_slugs and region_code_for(name) is not None


# Gas distribution operators expected in each region's courbe de charge: Teréga serves the
# south-west (Nouvelle-Aquitaine, Occitanie) and a part of Auvergne-Rhône-Alpes; GRTgaz every
# other metropolitan region; Corsica has no natural-gas transmission network.
GAS_OPERATORS_BY_REGION: dict[str, tuple[str, ...]] = {
    **{r.code: ("GRTgaz",) for r in REGIONS if r.code != "94"},
    "75": ("GRTgaz", "Teréga"),
    "76": ("GRTgaz", "Teréga"),
    "84": ("GRTgaz", "Teréga"),
    "94": (),
}


def school_zone_of(code: str) -> str | None:
    """School-holiday zone ("A", "B", "C" or "Corse") of an INSEE region code, None if unknown."""
    region = REGION_BY_CODE.get(str(code))
    return region.school_zone if region else None


def region_codes_for(names: Iterable[object]) -> dict[object, str | None]:
    """Map each distinct spelling to its INSEE region code (None when unknown).

    Resolves each distinct value once, so a column of millions of rows costs one call per
    spelling: ``series.map(region_codes_for(series.unique()))``.
    """
    return {name: (None if _is_missing(name) else region_code_for(str(name))) for name in names}


def _is_missing(value: object) -> bool:
    return (
        value is None
        or (isinstance(value, float) and value != value)
        or str(value)
        in {
            "",
            "<NA>",
            "nan",
        }
    )


def department_of_postcode(postcode: str) -> str | None:
    """Department code of a French postcode (Corsica: 200xx-201xx -> 2A, 202xx-206xx -> 2B)."""
    digits = re.sub(r"\D", "", str(postcode or ""))
    if len(digits) < 4:
        return None
    digits = digits.zfill(5)
    if digits.startswith("20"):
        return "2A" if int(digits[:3]) < 202 else "2B"
    dept = digits[:2]
    return dept if dept in DEPARTMENT_TO_REGION else None


REGION_OUTLINES_FILE = "region_outlines.geo.json"


@cache
def _region_outlines_text() -> str:
    return (resources.files(__package__) / REGION_OUTLINES_FILE).read_text(encoding="utf-8")


def region_outlines() -> dict[str, Any]:
    """The simplified outlines of the 13 regions shipped with the package (GeoJSON
    FeatureCollection; each feature's properties: ``region_code``, ``region``, ``label_lon``,
    ``label_lat``). Source and licence: ``region_outlines.md`` next to the file."""
    outlines: dict[str, Any] = json.loads(_region_outlines_text())
    return outlines
