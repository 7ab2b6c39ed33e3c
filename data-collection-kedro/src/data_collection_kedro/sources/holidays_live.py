"""Live French holidays: etalab ``jours-feries`` and Éducation nationale's school calendar.

* ``https://calendrier.api.gouv.fr/jours-feries/metropole.json`` answers
  ``{"2024-01-01": "1er janvier", "2024-04-01": "Lundi de Pâques", …}`` (about 20 years back and
  5 ahead); :func:`public_holiday_rows` turns it into the ``date, annee, zone, nom_jour_ferie``
  rows of the etalab CSV export.
* ``fr-en-calendrier-scolaire`` is an Opendatasoft dataset on ``https://data.education.gouv.fr``
  (fields ``description, population, start_date, end_date, location, zones, annee_scolaire``),
  read with the Opendatasoft client.
"""

from __future__ import annotations

from typing import Any

from data_collection_kedro.sources.http import SourceFormatError

PUBLIC_HOLIDAYS_ZONE = "Métropole"


def public_holiday_rows(body: Any, url: str) -> list[dict[str, str]]:
    """Rows ``date, annee, zone, nom_jour_ferie`` from the etalab JSON object."""
    if not isinstance(body, dict) or not body:
        raise SourceFormatError(
            f"{url}: expected a JSON object {{'YYYY-MM-DD': 'name', …}}, got "
            f"{type(body).__name__}{' (empty)' if not body else ''}"
        )
    rows = []
    for day, name in sorted(body.items()):
        if not (isinstance(day, str) and len(day) == 10 and day[4] == "-" and day[7] == "-"):
            raise SourceFormatError(f"{url}: key {day!r} is not a YYYY-MM-DD date")
        rows.append(
            {
                "date": day,
                "annee": day[:4],
                "zone": PUBLIC_HOLIDAYS_ZONE,
                "nom_jour_ferie": str(name),
            }
        )
    return rows
