"""Fixtures of the ETL tests: hand-made source files in the real formats."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from etl_files import CONSUMPTION_HEADER, consumption_row, load_tests_module, write_lines

# mongomock standing in for a MongoDB server (shared with the store dataset tests)
mongomock_server = load_tests_module("datasets/conftest.py").mongomock_server


@pytest.fixture
def consumption_file(tmp_path: Path) -> Path:
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


@pytest.fixture
def sample_dir_with(data_dir: Path) -> Callable[[str, list[str]], Path]:
    """Write one hand-made source file where the catalog reads the sample (``01_raw/sample``)."""

    def _write(name: str, lines: list[str]) -> Path:
        return write_lines(data_dir / "01_raw" / "sample" / name, lines)

    return _write
