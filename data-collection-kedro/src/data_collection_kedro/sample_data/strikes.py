"""SNCF strike movements in the ``mouvements-sociaux-depuis-2002`` format."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .csv_io import write_csv
from .timeline import STREAM_STRIKES, rng_for
from .world import SampleWorld

STRIKE_COLUMNS = [
    "date_de_debut",
    "date_de_fin",
    "motif",
    "organisations_syndicales",
    "metiers_cibles",
    "population",
    "nombre_grevistes",
    "taux_grevistes",
]
MOTIFS = (
    "Réforme des retraites",
    "Salaires",
    "Salaires, emploi, conditions de travail",
    "Conditions de travail et sécurité des agents",
    "Emploi et effectifs",
    "Ouverture à la concurrence des TER",
    "Défense du service public ferroviaire",
    "Réorganisation des ateliers de maintenance",
    "Journée interprofessionnelle",
    "Fermeture de guichets en gare",
    "NAO, salaires, moyens",
    "Agression d'un contrôleur",
)
UNIONS = (
    "CGT,UNSA,SUD Rail,CFDT,FO",
    "CGT,UNSA,SUD Rail,CFDT",
    "CGT,SUD Rail,CFDT,FO,UNSA",
    "CGT,SUD Rail",
    "CGT",
    "SUD Rail",
    "UNSA,SUD Rail",
    "CGT,UNSA",
)
UNION_P = (0.3, 0.18, 0.08, 0.16, 0.12, 0.06, 0.05, 0.05)
ALL_JOBS = (
    "conducteur",
    "agent de manoeuvre",
    "chef de bord",
    "accueil en gare et vente",
    "logistique",
    "ingénierie et maintenance du matériel roulant",
    "sûreté ferroviaire",
    "régulation et circulation ferroviaire",
    "infrastructure",
)
EXTRA_JOBS = ("bâtiment", "énergie", "service médical", "action sociale")


def strikes_for_year(seed: int, year: int) -> pd.DataFrame:
    """The strikes starting in ``year`` (typed columns, not yet formatted)."""
    rng = rng_for(seed, STREAM_STRIKES, year)
    count = int(rng.integers(18, 27))
    n_days = len(pd.date_range(f"{year}-01-01", f"{year}-12-31", freq="D"))
    starts = pd.Timestamp(year=year, month=1, day=1) + pd.to_timedelta(
        np.sort(rng.choice(n_days, size=count, replace=False)), unit="D"
    )
    rows = []
    for start in starts:
        multi_day = rng.random() < 0.45
        end = start + pd.Timedelta(days=int(rng.integers(1, 5))) if multi_day else pd.NaT
        national = rng.random() < 0.5
        if national:
            jobs = ",".join(ALL_JOBS)
            population = float(rng.integers(90_000, 140_000))
        else:
            k = int(rng.integers(1, 4))
            picked = rng.choice(len(ALL_JOBS) + len(EXTRA_JOBS), size=k, replace=False)
            jobs = ",".join((ALL_JOBS + EXTRA_JOBS)[i] for i in sorted(picked))
            population = float(rng.integers(400, 20_000))
        rate = round(float(np.clip(rng.gamma(2.0, 6.0 if national else 4.0), 0.1, 60.0)), 1)
        strikers = float(round(population * rate / 100))
        known_population = rng.random() < 0.6
        rows.append(
            {
                "start": start,
                "end": end,
                "motif": str(rng.choice(MOTIFS)),
                "unions": str(rng.choice(UNIONS, p=UNION_P)),
                "jobs": jobs if rng.random() < 0.65 else None,
                "population": population if known_population else None,
                "strikers": strikers if known_population else None,
                "rate": rate if rng.random() > 0.02 else None,
                "national": national,
            }
        )
    return pd.DataFrame(rows)


def strikes_between(seed: int, first_year: int, last_year: int) -> pd.DataFrame:
    return pd.concat(
        [strikes_for_year(seed, y) for y in range(first_year, last_year + 1)], ignore_index=True
    )


def strike_intensity(strikes: pd.DataFrame) -> pd.Series:
    """Share of striking staff per day for national movements (0 when none)."""
    intensity: dict[pd.Timestamp, float] = {}
    columns = ("start", "end", "rate", "national")
    for start, end, rate, national in zip(*(strikes[c].tolist() for c in columns), strict=True):
        if not national or rate is None or pd.isna(rate):
            continue
        last = start if pd.isna(end) else end
        for day in pd.date_range(start, last, freq="D"):
            intensity[day] = max(intensity.get(day, 0.0), float(rate) / 100.0)
    return pd.Series(intensity, dtype=float)


def _decimal(value: float | None) -> str:
    return "" if value is None or pd.isna(value) else f"{value:.1f}"


def write_strikes(out_dir: Path, world: SampleWorld, file: str) -> dict[str, int]:
    """The strikes that start in the sample's range."""
    strikes = world.strikes
    rows = strikes[(strikes["start"] >= world.first) & (strikes["start"] <= world.last)]
    out = pd.DataFrame(
        {
            "date_de_debut": rows["start"].dt.strftime("%Y-%m-%d"),
            "date_de_fin": ["" if pd.isna(d) else d.strftime("%Y-%m-%d") for d in rows["end"]],
            "motif": rows["motif"],
            "organisations_syndicales": rows["unions"],
            "metiers_cibles": rows["jobs"].fillna(""),
            "population": [_decimal(v) for v in rows["population"]],
            "nombre_grevistes": [_decimal(v) for v in rows["strikers"]],
            "taux_grevistes": [_decimal(v) for v in rows["rate"]],
        }
    )
    return {file: write_csv(out_dir / file, out, bom=True, crlf=True)}
