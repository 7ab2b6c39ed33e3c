"""The real courbe-de-charge defects are detected and handled (skipped without ../shared/data/real).

Real file facts (checked by hand, see ../shared/data/real/SOURCES.md): 12 regions, 2018-06-01 ..
2024-08-09; Teréga rows missing for the three two-operator regions on 2018-06-01..30 and
2024-07-01..2024-08-09 (70 days each); partial days (hours missing, daily total empty) on
2023-06-04, 2023-12-31 and the last day 2024-08-09 for every region.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from data_collection_kedro.domain.consumption import daily_regional_consumption
from data_collection_kedro.domain.normalization import quality_frame
from tests.support.paths import requires_real_data


@pytest.fixture(scope="module")
def real_load_curve() -> pd.DataFrame:
    folder = requires_real_data("A", "gas_regional_daily_grtgaz_terega")
    frame = pd.concat(pd.read_csv(folder / f"df_part{i}.csv", dtype=str) for i in (1, 2, 3))
    hours = {f"{h:02d}:00": f"h{h:02d}_mwh" for h in range(24)}
    return frame.rename(
        columns={
            **hours,
            "opérateur": "operator",
            "secteur_d'activité": "sector",
            "région": "region",
            "consommation_journalière_(mwh_-_pcs_0°c)": "daily_mwh",
            "statut": "status",
        }
    )


def test_real_missing_operator_days_are_imputed_and_partial_days_are_nan(
    real_load_curve, empty_consumption, fusion_params
):
    daily, quality = daily_regional_consumption(real_load_curve, empty_consumption, fusion_params)
    report = quality_frame(quality)
    checks = report.set_index("check")
    assert len(daily) == 12 * 2262 and daily["region_code"].nunique() == 12

    missing = json.loads(checks.loc["gas_missing_operator", "detail"])
    assert checks.loc["gas_missing_operator", "unmatched_keys"] == 3 * 70
    assert {key.split("|")[0] for key in missing["keys"]} == {"75", "76", "84"}
    assert {key.split("|")[2] for key in missing["keys"]} == {"Teréga"}
    imputed = daily[daily["gas_imputed"]]
    assert len(imputed) == 3 * 69  # 2024-08-09 is also partial: left NaN
    assert not imputed["is_complete"].any()

    # Imputed days continue the complete neighbours (no 30-60 % drop at the boundary).
    for code in ("75", "76", "84"):
        region = daily[daily["region_code"] == code].set_index("day")["gas_consumption_mwh"]
        before, after = (
            region[pd.Timestamp("2024-06-24") : pd.Timestamp("2024-06-30")],
            region[pd.Timestamp("2024-07-01") : pd.Timestamp("2024-07-07")],
        )
        assert 0.7 < after.mean() / before.mean() < 1.3

    partial_days = {"2023-06-04", "2023-12-31", "2024-08-09"}
    partial = daily[daily["day"].dt.strftime("%Y-%m-%d").isin(partial_days)]
    assert len(partial) == 12 * 3
    assert partial["gas_consumption_mwh"].isna().all() and not partial["is_complete"].any()
    assert checks.loc["gas_partial_or_zero_rows", "unmatched_keys"] == 36

    # Every other day is complete, with a positive total.
    rest = daily[~daily.index.isin(partial.index) & ~daily["gas_imputed"]]
    assert rest["is_complete"].all()
    assert (rest["gas_consumption_mwh"] > 0).all() and not np.isnan(
        rest["gas_consumption_mwh"]
    ).any()
