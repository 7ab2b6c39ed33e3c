"""The retraining policy (``modeling.retraining``): each rule that retrains, and reuse otherwise."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from data_collection_kedro.modeling.artifacts import ModelArtifact
from data_collection_kedro.modeling.retraining import (
    RetrainingPolicy,
    TrainingData,
    config_digest,
    fingerprint,
    retrain_reason,
    split_days,
    train_or_reuse,
)

DIGEST = "d1"


def _rows(last_day: str = "2023-12-31") -> pd.DataFrame:
    days = pd.date_range("2023-01-01", last_day, freq="D")
    return pd.DataFrame(
        {
            "region_code": "84",
            "day": days.date,  # DuckDB hands days over as dates
            "target_mwh": np.arange(len(days), dtype=float),
            "is_complete": True,
        }
    )


def _data(rows: pd.DataFrame, train_end: str = "2023-09-30", test: bool = True) -> TrainingData:
    return TrainingData(
        frames=((rows, "day"),),
        train_end=pd.Timestamp(train_end),
        data_end=pd.Timestamp(max(rows["day"])),
        test_start=pd.Timestamp(train_end) + pd.Timedelta(days=1) if test else None,
    )


class Fits:
    """A training function that counts its calls (each call is a new model)."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self) -> ModelArtifact:
        self.calls += 1
        return ModelArtifact("m", "", {"fit": self.calls}, ["target_mwh"], pd.DataFrame())


def _trained(data: TrainingData) -> ModelArtifact:
    return train_or_reuse(None, {}, DIGEST, data, Fits())


def test_fingerprint_ignores_order_and_sees_any_change_up_to_the_day() -> None:
    rows = _rows()
    base = fingerprint([(rows, "day")], "2023-09-30")
    shuffled = rows.sample(frac=1, random_state=1)[
        ["target_mwh", "is_complete", "day", "region_code"]
    ]
    assert fingerprint([(shuffled, "day")], "2023-09-30") == base
    changed = rows.copy()
    changed.loc[10, "target_mwh"] += 0.001
    assert fingerprint([(changed, "day")], "2023-09-30") != base
    later = rows.copy()
    later.loc[later.index[-1], "target_mwh"] += 1  # after the day: not part of it
    assert fingerprint([(later, "day")], "2023-09-30") == base
    assert fingerprint([(rows.drop(index=5), "day")], "2023-09-30") != base
    assert fingerprint([(rows.assign(extra=1), "day")], "2023-09-30") != base


def test_a_stored_model_is_reused_when_nothing_it_learned_from_changed() -> None:
    rows = _rows()
    first = _trained(_data(rows))
    assert not first.reused and first.training["reason"] == "no stored model"
    assert first.training["train_end"] == "2023-09-30"
    assert first.training["data_end"] == "2023-12-31"
    fits = Fits()
    again = train_or_reuse(first, {}, DIGEST, _data(_rows("2024-01-07")), fits)
    assert fits.calls == 0 and again.reused
    assert again.training == first.training and again.model is first.model
    assert "7 day(s) of new data" in again.decision


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"policy": {"force": "true"}}, "forced"),
        ({"digest": "d2"}, "parameters or code changed"),
        ({"rows": "past_row"}, "training data up to 2023-09-30 changed"),
        ({"rows": "2024-01-08"}, "8 days of new data (> retrain_after_days 7)"),
        ({"policy": {"retrain_after_days": 0}, "rows": "2024-01-01"}, "1 days of new data"),
        ({"rows": "2023-12-30"}, "data end moved back"),
        ({"test_start": "2023-09-30"}, "not after the training period"),
        ({"record": "none"}, "no training record"),
    ],
)
def test_each_rule_retrains(change: dict[str, str | dict[str, object]], reason: str) -> None:
    previous = _trained(_data(_rows()))
    rows = _rows()
    if change.get("rows") == "past_row":
        rows.loc[3, "is_complete"] = False
    elif "rows" in change:
        rows = _rows(str(change["rows"]))
    data = _data(rows)
    if "test_start" in change:
        data = dataclasses.replace(data, test_start=pd.Timestamp(str(change["test_start"])))
    if change.get("record") == "none":
        previous = dataclasses.replace(previous, training={})
    policy = change.get("policy", {})
    assert isinstance(policy, dict)
    found = retrain_reason(
        previous, RetrainingPolicy.from_params(policy), str(change.get("digest", DIGEST)), data
    )
    assert found is not None and reason in found
    fits = Fits()
    retrained = train_or_reuse(previous, policy, str(change.get("digest", DIGEST)), data, fits)
    assert fits.calls == 1 and not retrained.reused
    assert retrained.training["id"] != previous.training.get("id")
    assert retrained.decision == f"trained: {found}"


def test_a_model_without_test_period_is_reused_on_the_same_data() -> None:
    rows = _rows()
    data = _data(rows, train_end="2023-12-31", test=False)
    first = _trained(data)
    assert retrain_reason(first, RetrainingPolicy(), DIGEST, data) is None


def test_policy_parameters_are_checked() -> None:
    assert RetrainingPolicy.from_params(None) == RetrainingPolicy(7, False)
    assert RetrainingPolicy.from_params({"force": True}).force
    with pytest.raises(ValueError, match="retrain_after_days"):
        RetrainingPolicy.from_params({"retrain_after_days": -1})
    with pytest.raises(ValueError, match="model_retraining.force"):
        RetrainingPolicy.from_params({"force": "yes please"})


def test_the_digest_follows_parameters_code_and_libraries() -> None:
    modules = ("data_collection_kedro.modeling.splits",)
    base = config_digest({"a": 1, "b": [1, 2]}, modules, ("pandas",))
    assert config_digest({"b": [1, 2], "a": 1}, modules, ("pandas",)) == base
    assert config_digest({"a": 2, "b": [1, 2]}, modules, ("pandas",)) != base
    assert (
        config_digest(
            {"a": 1, "b": [1, 2]}, (*modules, "data_collection_kedro.modeling.metrics"), ("pandas",)
        )
        != base
    )
    assert config_digest({"a": 1, "b": [1, 2]}, modules, ("pandas", "numpy")) != base
    with pytest.raises(ValueError, match="not found"):
        config_digest({}, ("data_collection_kedro.no_such_module",))


def test_split_days() -> None:
    days = pd.Series(pd.date_range("2023-01-01", periods=6))
    split = pd.Series(["train", "train", "validation", "validation", "test", "test"])
    assert split_days(days, split) == (pd.Timestamp("2023-01-04"), pd.Timestamp("2023-01-05"))
    assert split_days(days, split.replace("test", "validation"))[1] is None
