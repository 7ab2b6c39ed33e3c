"""Fixtures of the live-source tests: a loopback Opendatasoft portal (real HTTP; the portal
itself is tests/support/opendatasoft_portal.py) and records in the portals' formats.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pytest_httpserver import HTTPServer

from tests.support.opendatasoft_portal import (
    CONSUMPTION_FIELDS,
    ECO2MIX_FIELDS,
    Failure,
    FakePortal,
)

__all__ = [
    "CONSUMPTION_FIELDS",
    "ECO2MIX_FIELDS",
    "Failure",
    "FakePortal",
    "consumption_records",
    "eco2mix_records",
]


def consumption_records(days: int, regions: tuple[str, ...] = ("11", "84")) -> list[dict]:
    """Half-hourly records (gas on the full hour) for ``days`` days from 2024-01-01."""
    names = {"11": "Île-de-France", "84": "Auvergne-Rhône-Alpes"}
    out = []
    for d in range(days):
        day = f"2024-01-{d + 1:02d}"
        for region in regions:
            for half in range(48):
                hh, mm = divmod(half * 30, 60)
                gas = 1000 + d if mm == 0 else None
                out.append(
                    {
                        "date_heure": f"{day}T{hh:02d}:{mm:02d}:00+01:00",
                        "date": day,
                        "heure": f"{hh:02d}:{mm:02d}",
                        "code_insee_region": region,
                        "region": names[region],
                        "consommation_brute_gaz_grtgaz": gas,
                        "statut_grtgaz": "Définitif" if gas else None,
                        "consommation_brute_gaz_terega": None,
                        "statut_terega": None,
                        "consommation_brute_gaz_totale": gas,
                        "consommation_brute_electricite_rte": 8000 + half,
                        "statut_rte": "Consolidé",
                        "consommation_brute_totale": 8000 + half + (gas or 0),
                    }
                )
    return out


def eco2mix_records(days: int, published: int = 96) -> list[dict]:
    """Quarter-hours from 2024-01-01 (Paris); after the first ``published`` quarter-hours of
    the last day the values are not published yet (empty, as in the real-time dataset)."""
    out = []
    for d in range(days):
        day = f"2024-01-{d + 1:02d}"
        for q in range(96):
            hhmm = f"{q // 4:02d}:{q % 4 * 15:02d}"
            late = d == days - 1 and q >= published
            out.append(
                {
                    "perimetre": "France",
                    "nature": "Données temps réel",
                    "date": day,
                    "heure": hhmm,
                    "date_heure": f"{day}T{hhmm}:00+01:00",
                    "consommation": None if late else 60000 + q,
                    "taux_co2": None if late else 40 + q % 7,
                }
            )
    return out


@pytest.fixture
def portal(httpserver: HTTPServer) -> Iterator[FakePortal]:
    yield FakePortal(httpserver)


@pytest.fixture
def fast_retry() -> dict[str, float]:
    """Retry policy for tests: 4 attempts, waits of milliseconds."""
    return {"attempts": 4, "initial_s": 0.001, "max_s": 0.01}
