"""Paths of the repository and the shared real data, for every test module
(``from tests.support.paths import REPO_ROOT, KEDRO_PROJECT, ...``)."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
KEDRO_PROJECT = REPO_ROOT / "data-collection-kedro"
REAL_DATA = REPO_ROOT.parent / "shared" / "data" / "real"


def requires_real_data(*parts: str) -> Path:
    """Path under ../shared/data/real, or skip the test when the folder is absent (fresh clone)."""
    path = REAL_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"real data not present at {path} (only in the shared workspace)")
    return path
