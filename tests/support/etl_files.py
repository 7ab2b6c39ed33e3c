"""Hand-made source rows and files in the real formats (small, written per test)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

CONSUMPTION_HEADER = (
    "Date - Heure;Date;Heure;Code INSEE région;Région;"
    "Consommation brute gaz (MW PCS 0°C) - GRTgaz;Statut - GRTgaz;"
    "Consommation brute gaz (MW PCS 0°C) - Teréga;Statut - Teréga;"
    "Consommation brute gaz totale (MW PCS 0°C);Consommation brute électricité (MW) - RTE;"
    "Statut - RTE;Consommation brute totale (MW)"
)


def consumption_row(
    stamp: str = "2021-03-31T12:00:00+02:00",
    region_code: str = "11",
    region: str = "Île-de-France",
    gas: str = "4538",
    electricity: str = "7031",
) -> str:
    day = stamp[:10]
    date_fr = f"{day[8:10]}/{day[5:7]}/{day[:4]}"
    try:
        total = str(float(gas) + float(electricity))
    except ValueError:
        total = ""
    return (
        f"{stamp};{date_fr};{stamp[11:16]};{region_code};{region};{gas};Définitif;;;"
        f"{gas};{electricity};Consolidé;{total}"
    )


def write_lines(path: Path, lines: list[str], encoding: str = "utf-8-sig", eol: str = "\n") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(eol.join(lines).encode(encoding) + eol.encode())
    return path


# Fixtures, imported by the test modules that use them.


@pytest.fixture(name="consumption_file")
def consumption_file_fixture(tmp_path: Path) -> Path:
    """Four good half-hours for Île-de-France and Bretagne."""
    rows = [
        consumption_row("2021-03-31T12:00:00+02:00"),
        consumption_row("2021-03-31T12:30:00+02:00", gas="", electricity="7100"),
        consumption_row("2021-03-31T12:00:00+02:00", "53", "Bretagne", "900", "2500"),
        consumption_row("2021-03-31T13:00:00+02:00", "53", "Bretagne", "950", "2400"),
    ]
    return write_lines(
        tmp_path / "consommation-quotidienne-brute-regionale.csv", [CONSUMPTION_HEADER, *rows]
    )


@pytest.fixture(name="sample_dir_with")
def sample_dir_with_fixture(data_dir: Path) -> Callable[[str, list[str]], Path]:
    """Write one hand-made source file where the catalog reads the sample (``01_raw/sample``)."""

    def _write(name: str, lines: list[str]) -> Path:
        return write_lines(data_dir / "01_raw" / "sample" / name, lines)

    return _write
