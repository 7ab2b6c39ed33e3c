"""The anomaly features computed with numpy on consecutive days give pandas' time-based
windows' numbers exactly (gaps, missing values, edges, even counts)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from data_collection_kedro.domain.contracts import GAS_HOUR_SHARE_COLUMNS
from data_collection_kedro.modeling.anomaly import anomaly_features, centred_rolling_median


def _days_with_gaps(n: int, seed: int) -> pd.DatetimeIndex:
    rng = np.random.default_rng(seed)
    days = pd.date_range("2021-01-01", periods=n, freq="D")
    return days[rng.random(n) > 0.15]  # about one day in seven missing, some in a row


@pytest.mark.parametrize(("window_days", "min_periods"), [(29, 7), (7, 1), (5, 5), (1, 1)])
def test_centred_rolling_median_is_pandas_time_based_window(
    window_days: int, min_periods: int
) -> None:
    rng = np.random.default_rng(window_days)
    days = _days_with_gaps(400, seed=window_days)
    values = rng.normal(size=(len(days), 3)).round(1)  # ties and even counts
    values[rng.random(values.shape) < 0.1] = np.nan
    expected = (
        pd.DataFrame(values, index=days)
        .rolling(f"{window_days}D", center=True, min_periods=min_periods)
        .median()
        .to_numpy()
    )
    offsets = (days - days[0]).days.to_numpy()
    grid = np.full((offsets[-1] + 1, 3), np.nan)
    grid[offsets] = values
    got = centred_rolling_median(grid, window_days, min_periods)[offsets]
    np.testing.assert_array_equal(got, expected)  # the same bits, NaN at the same places
    one_column = centred_rolling_median(grid[:, 1], window_days, min_periods)[offsets]
    np.testing.assert_array_equal(one_column, expected[:, 1])


def test_an_even_window_is_refused_naming_the_parameter() -> None:
    with pytest.raises(ValueError, match="odd"):
        centred_rolling_median(np.zeros(10), 28, 7)
    meteo, movements = _indices(seed=4)
    with pytest.raises(ValueError, match="anomaly_detection.window_days: expected an odd"):
        anomaly_features(meteo, movements, ["gas"], window_days=28)


def _indices(seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    frames = []
    for region_code in ("11", "84"):
        days = _days_with_gaps(300, seed=int(region_code))
        n = len(days)
        hdd = np.clip(rng.normal(5, 4, n), 0, None)
        shares = rng.dirichlet(np.ones(24), n)
        frame = pd.DataFrame(
            {
                "region_code": region_code,
                "day": days.date,
                "region": f"r{region_code}",
                "heating_degree_days": hdd,
                "gas_consumption_mwh": 1000 + 80 * hdd + rng.normal(0, 20, n),
                "electricity_consumption_mwh": 2000 + rng.normal(0, 50, n),
                **dict(zip(GAS_HOUR_SHARE_COLUMNS, shares.T, strict=True)),
            }
        )
        frame.loc[rng.random(n) < 0.05, "gas_h07_share"] = np.nan
        frame.loc[rng.random(n) < 0.05, "electricity_consumption_mwh"] = np.nan
        frames.append(frame)
    meteo = pd.concat(frames, ignore_index=True).sample(frac=1.0, random_state=seed)
    movements = meteo[["region_code", "day"]].assign(is_public_holiday=False)
    return meteo, movements


def test_ratio_and_profile_distance_use_the_surrounding_days_of_the_calendar() -> None:
    """The daily ratio and the hourly profile distance of each region-day, checked against
    pandas' time-based windows on the region's own days: a missing day narrows the window
    instead of pulling in a day further away."""
    meteo, movements = _indices(seed=5)
    features = anomaly_features(meteo, movements, ["gas", "electricity"], window_days=29)
    assert list(features["region_code"].unique()) == ["11", "84"]
    for region_code, region in meteo.groupby("region_code"):
        region = region.set_index(pd.to_datetime(region["day"])).sort_index()
        got = features[features["region_code"] == region_code].set_index("day")
        for energy in ("gas", "electricity"):
            column = region[f"{energy}_consumption_mwh"]
            median = column.rolling("29D", center=True, min_periods=7).median()
            expected = (column / median).fillna(1.0)
            np.testing.assert_array_equal(
                got[f"daily_total_ratio_{energy}"].to_numpy(), expected.to_numpy()
            )
        profile = region[list(GAS_HOUR_SHARE_COLUMNS)]
        reference = profile.rolling("29D", center=True, min_periods=7).median()
        distance = (profile - reference).abs().sum(axis=1, min_count=24)
        z = (
            (distance - distance.median())
            / ((distance - distance.median()).abs().median() * 1.4826)
        ).abs()
        np.testing.assert_array_equal(
            got["hourly_profile_distance_gas"].to_numpy(), z.fillna(0.0).to_numpy()
        )
        assert (
            got.loc[profile["gas_h07_share"].isna().to_numpy(), "hourly_profile_distance_gas"] == 0
        ).all()
        residual = got["temperature_residual_gas"]
        assert residual.notna().all() and (residual >= 0).all() and residual.max() > 1


def test_features_do_not_depend_on_the_row_order() -> None:
    meteo, movements = _indices(seed=6)
    first = anomaly_features(meteo, movements, ["gas", "electricity"])
    again = anomaly_features(meteo.iloc[::-1], movements, ["gas", "electricity"])
    pd.testing.assert_frame_equal(first, again, check_exact=True)


@pytest.mark.parametrize("threads", [2, 5])
def test_regions_computed_at_once_give_the_same_features(threads: int) -> None:
    from data_collection_kedro.modeling.anomaly import anomaly_input_rows, features_of_rows
    from tests.support.synthetic_indices import index_frames

    meteo, movements, _ = index_frames()
    meteo.loc[meteo.index[::37], "gas_h05_share"] = np.nan  # gaps: partial windows
    rows = anomaly_input_rows(meteo, movements, ["gas", "electricity"])
    expected = features_of_rows(rows, ["gas", "electricity"], 29, threads=1)
    got = features_of_rows(rows, ["gas", "electricity"], 29, threads=threads)
    pd.testing.assert_frame_equal(got, expected, check_exact=True)
    assert expected["hourly_profile_distance_gas"].gt(0).any()
