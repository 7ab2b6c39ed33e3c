"""The anomaly scores computed in blocks along a locality order are the floats of one
``score_samples`` call (the pipeline's model: a scaler then an IsolationForest)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import IsolationForest
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from data_collection_kedro.modeling.anomaly import (
    MIN_ROWS_PER_THREAD,
    forest_scores,
    locality_order,
)

COLUMNS = ["temperature_residual_gas", "hourly_profile_distance_gas", "temperature_residual_elec"]


def _rows(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    values = np.abs(rng.standard_t(3, size=(n, len(COLUMNS))))
    values[rng.random(values.shape) < 0.1] = 0.0  # the neutral value of missing features: ties
    return pd.DataFrame(values, columns=COLUMNS, index=pd.RangeIndex(100, 100 + n))


@pytest.fixture(scope="module")
def model() -> Pipeline:
    forest = IsolationForest(n_estimators=40, max_samples=1.0, random_state=1)
    return Pipeline([("scale", StandardScaler()), ("forest", forest)]).fit(_rows(3_000, seed=1))


@pytest.mark.parametrize("threads", [1, 2, 3])
def test_blocks_give_the_floats_of_one_call(model: Pipeline, threads: int) -> None:
    data = _rows(3 * MIN_ROWS_PER_THREAD + 17, seed=2)
    expected = model.score_samples(data)
    got = forest_scores(model, data, threads=threads)
    np.testing.assert_array_equal(got, expected)  # the same bits, in the rows' order
    bare = IsolationForest(n_estimators=20, random_state=2).fit(_rows(1_000, seed=5))
    np.testing.assert_array_equal(
        forest_scores(bare, data, threads=threads), bare.score_samples(data)
    )


def test_few_rows_are_scored_in_one_call(model: Pipeline) -> None:
    data = _rows(50, seed=3)
    np.testing.assert_array_equal(forest_scores(model, data, threads=4), model.score_samples(data))


def test_locality_order_is_a_permutation_that_keeps_close_rows_together() -> None:
    data = _rows(5_000, seed=4).to_numpy(copy=True)
    data[::97, 1] = np.nan
    order = locality_order(data)
    np.testing.assert_array_equal(np.sort(order), np.arange(len(data)))
    # only each column's order matters: an increasing transform gives the same order
    np.testing.assert_array_equal(locality_order(np.log1p(data) * 3.0 - 1.0), order)
    # consecutive rows in the order are much closer (in ranks) than in the original order
    ranks = np.argsort(np.argsort(np.nan_to_num(data, nan=np.inf), axis=0), axis=0)
    step_ordered = np.abs(np.diff(ranks[order], axis=0)).sum(axis=1).mean()
    step_original = np.abs(np.diff(ranks, axis=0)).sum(axis=1).mean()
    assert step_ordered < step_original / 5
    assert len(locality_order(data[:1])) == 1


@pytest.mark.parametrize("threads", [0, -1, 1.5, "2", True])
def test_a_bad_thread_count_is_refused_with_its_parameter(threads: object) -> None:
    from data_collection_kedro.pipelines.anomaly_detection.nodes import score_anomalies

    with pytest.raises(ValueError, match=r"anomaly_compute\.threads: expected a whole number"):
        score_anomalies(pd.DataFrame(), None, {"threads": threads})  # type: ignore[arg-type]
