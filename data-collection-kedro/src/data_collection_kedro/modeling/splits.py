"""Time-based train / validation / test splits (no shuffling)."""

from __future__ import annotations

from typing import Any

import pandas as pd

SPLITS = ("train", "validation", "test")


def time_split_bounds(days: pd.Series, params: dict[str, Any]) -> dict[str, str]:
    """Split bounds from parameters.

    ``params``: ``validation_months`` and ``test_months`` counted back from the last day,
    or explicit ``train_end`` / ``validation_end`` dates (inclusive) that override them.
    Returns ISO dates ``train_start, train_end, validation_end, test_end``; train is
    ``(.., train_end]``, validation ``(train_end, validation_end]``, test ``(validation_end, test_end]``.
    """
    days = pd.to_datetime(days)
    test_end = days.max()
    validation_end = (
        pd.Timestamp(params["validation_end"])
        if params.get("validation_end")
        else test_end - pd.DateOffset(months=int(params.get("test_months", 12)))
    )
    train_end = (
        pd.Timestamp(params["train_end"])
        if params.get("train_end")
        else validation_end - pd.DateOffset(months=int(params.get("validation_months", 12)))
    )
    if not days.min() <= train_end < validation_end < test_end:
        raise ValueError(
            f"invalid time split: data {days.min().date()}..{test_end.date()}, "
            f"train_end {train_end.date()}, validation_end {validation_end.date()} "
            "(expected first day <= train_end < validation_end < last day)"
        )
    return {
        "train_start": days.min().date().isoformat(),
        "train_end": train_end.date().isoformat(),
        "validation_end": validation_end.date().isoformat(),
        "test_end": test_end.date().isoformat(),
    }


def assign_split(days: pd.Series, bounds: dict[str, str]) -> pd.Series:
    """``train`` / ``validation`` / ``test`` for each day according to ``bounds``."""
    days = pd.to_datetime(days)
    split = pd.Series("test", index=days.index, dtype=object)
    split[days <= pd.Timestamp(bounds["validation_end"])] = "validation"
    split[days <= pd.Timestamp(bounds["train_end"])] = "train"
    return split
