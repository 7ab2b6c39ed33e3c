"""Fixtures of the ETL tests: hand-made source files in the real formats."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from pathlib import Path

import pytest
from etl_files import CONSUMPTION_HEADER, consumption_row, write_lines


def _root_conftest_attr(name: str) -> Callable[..., Path]:
    """A helper of tests/conftest.py (shadowed as ``conftest`` by this file)."""
    spec = importlib.util.spec_from_file_location(
        "energiewatch_root_conftest", Path(__file__).resolve().parents[1] / "conftest.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return getattr(module, name)


requires_real_data = _root_conftest_attr("requires_real_data")


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
