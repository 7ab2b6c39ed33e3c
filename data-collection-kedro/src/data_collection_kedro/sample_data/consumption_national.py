"""Writer of the national half-hourly consumption (ODRÉ ``consommation-quotidienne-brute``).

The sample's nation is the sum of its regions: electricity and each gas operator are the sums of
the regional half-hourly file's values (``energy_files.consumption_rows``), gas on the full hour
only. The real export's layout: ``Date - Heure`` in UTC (``+00:00``), ``Date``/``Heure`` in Paris
time, the gas operator GRTgaz under its 2025 name NaTran, a ``flag_ignore`` column, UTF-8 with a
BOM, CRLF line ends, newest row first.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .csv_io import write_csv
from .energy_files import GAS_MW_GRTGAZ, GAS_MW_TEREGA, consumption_rows
from .world import SampleWorld

GAS = "Consommation brute gaz (MW PCS 0°C)"
COLUMNS = [
    "Date - Heure",
    "Date",
    "Heure",
    f"{GAS} - NaTran",
    "Statut - NaTran",
    f"{GAS} - Teréga",
    "Statut - Teréga",
    "Consommation brute gaz totale (MW PCS 0°C)",
    "Consommation brute électricité (MW) - RTE",
    "Statut - RTE",
    "Consommation brute totale (MW)",
    "flag_ignore",
]
_OPERATORS = (  # regional file columns -> national file columns
    (GAS_MW_GRTGAZ, "Statut - GRTgaz", f"{GAS} - NaTran", "Statut - NaTran"),
    (GAS_MW_TEREGA, "Statut - Teréga", f"{GAS} - Teréga", "Statut - Teréga"),
)
_ELECTRICITY = "Consommation brute électricité (MW) - RTE"


def national_rows(world: SampleWorld) -> pd.DataFrame:
    """Half-hourly national rows: the sums of the sample's regions."""
    electricity: np.ndarray | None = None
    gas: dict[str, np.ndarray] = {}
    present: dict[str, np.ndarray] = {}
    status: dict[str, pd.Series] = {}
    base: pd.DataFrame | None = None
    for code in world.codes:
        rows = consumption_rows(world.seed, code, world.names[code], world.dailies[code])
        if base is None:
            base = rows[["Date - Heure", "Date", "Heure", "Statut - RTE"]]
            electricity = np.zeros(len(rows), dtype=np.int64)
        assert electricity is not None
        electricity += rows[_ELECTRICITY].to_numpy(dtype=np.int64)
        for mw, state, national, national_state in _OPERATORS:
            values = rows[mw]
            gas[national] = gas.get(national, 0) + values.fillna(0).to_numpy(dtype=np.int64)
            present[national] = present.get(national, False) | values.notna().to_numpy()
            previous = status.get(national_state, pd.Series("", index=rows.index))
            status[national_state] = previous.where(previous != "", rows[state])
    assert base is not None and electricity is not None
    instants = pd.to_datetime(base["Date - Heure"], utc=True)
    out = pd.DataFrame(
        {
            "Date - Heure": instants.dt.strftime("%Y-%m-%dT%H:%M:%S+00:00"),
            "Date": base["Date"],
            "Heure": base["Heure"],
        }
    )
    any_gas = np.zeros(len(out), dtype=bool)
    gas_total = np.zeros(len(out), dtype=np.int64)
    for _, _, national, national_state in _OPERATORS:
        out[national] = pd.array(np.where(present[national], gas[national], 0), dtype="Int64")
        out.loc[~present[national], national] = pd.NA
        out[national_state] = status[national_state].where(present[national], "")
        any_gas |= present[national]
        gas_total += gas[national]
    out["Consommation brute gaz totale (MW PCS 0°C)"] = pd.array(gas_total, dtype="Int64")
    out.loc[~any_gas, "Consommation brute gaz totale (MW PCS 0°C)"] = pd.NA
    out[_ELECTRICITY] = electricity
    out["Statut - RTE"] = base["Statut - RTE"]
    total = pd.array(gas_total + electricity, dtype="Int64")
    out["Consommation brute totale (MW)"] = total
    out.loc[~any_gas, "Consommation brute totale (MW)"] = pd.NA
    out["flag_ignore"] = "non"
    return out[COLUMNS].iloc[::-1].reset_index(drop=True)  # newest first, like the export


def write(out_dir: Path, world: SampleWorld, file: str) -> dict[str, int]:
    rows = national_rows(world)
    world.units[file] = "rows = half-hours (sum of the sample's regions)"
    return {file: write_csv(out_dir / file, rows, bom=True, crlf=True)}
