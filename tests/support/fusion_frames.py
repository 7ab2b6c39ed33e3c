"""Builders of raw tables in the contract's shape (docs/data-contracts.md §2)."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import pytest

from tests.support.paths import KEDRO_PROJECT

HOURS = [f"h{h:02d}_mwh" for h in range(24)]


def project_config(env: str | None, name: str) -> dict:
    """One resolved configuration (``catalog``, ``globals``, ``parameters``) of the project for
    ``env`` (None = base + local), as ``kedro run`` resolves it."""
    from kedro.config import OmegaConfigLoader

    from data_collection_kedro.settings import CONFIG_LOADER_ARGS

    loader = OmegaConfigLoader(
        conf_source=str(KEDRO_PROJECT / "conf"), env=env, **CONFIG_LOADER_ARGS
    )
    return dict(loader[name])


def catalog_config(env: str | None) -> dict:
    """The project's resolved catalog configuration for ``env`` (None = base + local)."""
    return project_config(env, "catalog")


def load_curve_row(
    date: str,
    region: str,
    operator: str,
    hourly: float | Sequence[float | None],
    status: str = "Définitif",
    sector: str = "GRD/ELD",
) -> dict:
    values = [hourly] * 24 if isinstance(hourly, int | float) else list(hourly)
    present = [v for v in values if v is not None]
    return {
        "date": date,
        "operator": operator,
        "sector": sector,
        "region": region,
        **dict(zip(HOURS, values, strict=True)),
        "daily_mwh": sum(present) if len(present) == 24 else None,
        "status": status,
    }


@pytest.fixture
def empty_consumption() -> pd.DataFrame:
    return pd.DataFrame(
        columns=["region_code", "region", "timestamp_utc", "electricity_rte_mw", "datetime_local"]
    )


@pytest.fixture
def fusion_params() -> dict:
    return {
        "partial_day_policy": "nan",
        "impute_missing_operator": True,
        "operator_share_window_days": 28,
        "gas_sectors": None,
        "max_temperature_gap_days": 3,
        "max_price_age_days": 31,
        "min_price_eur_l": 0.3,
        "max_price_eur_l": 5.0,
        "max_detail_keys": 200,
    }
