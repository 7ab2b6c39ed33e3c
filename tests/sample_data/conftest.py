"""Helpers to read the sample files back the way a user of the real files would."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest


def read_source(path: Path, sep: str = ";") -> pd.DataFrame:
    return pd.read_csv(path, sep=sep, dtype=str, keep_default_na=False, encoding="utf-8-sig")


@pytest.fixture(scope="session")
def consumption(small_sample_dir: Path) -> pd.DataFrame:
    return read_source(small_sample_dir / "consommation-quotidienne-brute-regionale.csv")


@pytest.fixture(scope="session")
def load_curve(small_sample_dir: Path) -> pd.DataFrame:
    return read_source(small_sample_dir / "courbe-de-charge-eldgrd-regional-grtgaz-terega.csv")


@pytest.fixture(scope="session")
def temperatures(small_sample_dir: Path) -> pd.DataFrame:
    return read_source(small_sample_dir / "temperature-quotidienne-regionale.csv")
