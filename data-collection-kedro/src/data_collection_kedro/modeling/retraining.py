"""When a stored model is retrained and when it is reused (the retraining policy).

A training node receives the model stored by the previous run (``<model>_model_previous``,
:class:`~data_collection_kedro.datasets.StoredModelDataset`: ``None`` when there is none) and
the policy (``model_retraining`` in ``conf/base/parameters.yml``). :func:`train_or_reuse` retrains
when

- ``force`` is true (``kedro run --params=model_retraining.force=true``);
- no model is stored (or the stored one predates the policy: no training record);
- the model's parameters or code changed: a digest of its parameter block, the source of the
  modules that build its features and fit it, and the versions of its libraries
  (:func:`config_digest`);
- the data of its training period changed: a fingerprint of the rows it was trained on, up to
  the end of its training (train + validation) period (:func:`fingerprint`);
- more than ``retrain_after_days`` days of data arrived since the data end it was trained with;
- the current test period no longer starts strictly after its training period (its test metrics
  would not be honest);

and otherwise returns the stored model (``reused``): evaluation, served forecasts, scoring and
MLflow logging still run with it. The decision is a function of the node's inputs only.

The record of a training (:data:`ModelArtifact.training`, saved in ``artifact.json``): ``id``,
``digest``, ``fingerprint``, ``train_end``, ``data_end``, ``trained_at`` and ``reason``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib.util
import json
import logging
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from data_collection_kedro.modeling.artifacts import ModelArtifact

logger = logging.getLogger(__name__)

DEFAULT_RETRAIN_AFTER_DAYS = 7
RECORD_KEYS = ("id", "digest", "fingerprint", "train_end", "data_end", "trained_at", "reason")


@dataclass(frozen=True)
class RetrainingPolicy:
    """``model_retraining`` parameters: ``retrain_after_days`` (days of new data a model may
    serve without retraining) and ``force`` (retrain every model of the run)."""

    retrain_after_days: int = DEFAULT_RETRAIN_AFTER_DAYS
    force: bool = False

    @classmethod
    def from_params(cls, params: Mapping[str, Any] | None) -> RetrainingPolicy:
        params = params or {}
        days = int(params.get("retrain_after_days", DEFAULT_RETRAIN_AFTER_DAYS))
        if days < 0:
            raise ValueError(f"model_retraining.retrain_after_days: expected >= 0, got {days}")
        force = params.get("force", False)
        if isinstance(force, str):  # --params=model_retraining.force=true arrives as text
            if force.strip().lower() not in ("true", "false"):
                raise ValueError(f"model_retraining.force: expected true or false, got {force!r}")
            force = force.strip().lower() == "true"
        return cls(retrain_after_days=days, force=bool(force))


@dataclass(frozen=True)
class TrainingData:
    """What the decision looks at in the node's inputs.

    Attributes:
        frames: the training inputs as ``(frame, day column)``: their rows up to a training
            period's end are fingerprinted.
        train_end: the last day of the period a model trained now would learn from (train +
            validation).
        data_end: the last day with data.
        test_start: the first day of the current test period (None: the model has none).
    """

    frames: Sequence[tuple[pd.DataFrame, str]]
    train_end: pd.Timestamp
    data_end: pd.Timestamp
    test_start: pd.Timestamp | None = None


def _day(value: Any) -> pd.Timestamp:
    return pd.Timestamp(value).normalize()


def fingerprint(frames: Iterable[tuple[pd.DataFrame, str]], until: Any) -> str:
    """A digest of the rows of ``frames`` whose day is on or before ``until``: the same rows
    give the same digest whatever their order or the order of the columns; a changed, added or
    removed row changes it."""
    until = _day(until)
    digest = hashlib.sha256()
    for frame, day_column in frames:
        days = pd.to_datetime(frame[day_column])
        rows = frame.loc[(days <= until).to_numpy()]
        rows = rows[sorted(rows.columns, key=str)].reset_index(drop=True)
        rows[day_column] = pd.to_datetime(rows[day_column])
        hashes = np.sort(pd.util.hash_pandas_object(rows, index=False).to_numpy())
        digest.update(",".join(map(str, rows.columns)).encode())
        digest.update(str(len(rows)).encode())
        digest.update(hashes.tobytes())
    return digest.hexdigest()


def _module_source(name: str) -> bytes:
    spec = importlib.util.find_spec(name)
    if spec is None or spec.origin is None:
        raise ValueError(f"retraining digest: module {name!r} not found")
    return Path(spec.origin).read_bytes()


def config_digest(config: Any, modules: Sequence[str], packages: Sequence[str] = ()) -> str:
    """A digest of a model's parameters (``config``, any JSON-like value), the source of the
    ``modules`` that build its features and fit it, and the installed versions of
    ``packages``: any change of them retrains the model."""
    from importlib.metadata import version

    digest = hashlib.sha256()
    digest.update(json.dumps(config, sort_keys=True, default=str).encode())
    for name in sorted(modules):
        digest.update(name.encode())
        digest.update(hashlib.sha256(_module_source(name)).digest())
    for package in sorted(packages):
        digest.update(f"{package}=={version(package)}".encode())
    return digest.hexdigest()


def retrain_reason(
    previous: ModelArtifact | None,
    policy: RetrainingPolicy,
    digest: str,
    data: TrainingData,
) -> str | None:
    """Why the model must be retrained, or None when ``previous`` can be reused."""
    if policy.force:
        return "forced (model_retraining.force)"
    if previous is None:
        return "no stored model"
    record = previous.training or {}
    if not set(RECORD_KEYS) - {"reason"} <= set(record):
        return "the stored model has no training record"
    if record["digest"] != digest:
        return "parameters or code changed"
    train_end, data_end = _day(record["train_end"]), _day(record["data_end"])
    if data.data_end < data_end:
        return f"data end moved back ({data.data_end.date()} < {data_end.date()})"
    if fingerprint(data.frames, train_end) != record["fingerprint"]:
        return f"training data up to {train_end.date()} changed"
    new_days = (data.data_end - data_end).days
    if new_days > policy.retrain_after_days:
        return f"{new_days} days of new data (> retrain_after_days {policy.retrain_after_days})"
    if data.test_start is not None and data.test_start <= train_end:
        return (
            f"test period starts {data.test_start.date()}, not after the training period "
            f"(up to {train_end.date()})"
        )
    return None


def train_or_reuse(
    previous: ModelArtifact | None,
    policy_params: Mapping[str, Any] | None,
    digest: str,
    data: TrainingData,
    train: Callable[[], ModelArtifact],
) -> ModelArtifact:
    """The stored model when the policy allows it (``reused``), else ``train()`` stamped with
    its training record."""
    policy = RetrainingPolicy.from_params(policy_params)
    reason = retrain_reason(previous, policy, digest, data)
    if reason is None and previous is not None:
        record = previous.training
        logger.info(
            "%s: reusing the model trained %s (training %s, data up to %s)",
            previous.model_key,
            record["trained_at"],
            record["id"],
            record["data_end"],
        )
        new_days = (data.data_end - _day(record["data_end"])).days
        return dataclasses.replace(
            previous,
            reused=True,
            decision=f"reused: training data unchanged, {new_days} day(s) of new data "
            f"(<= retrain_after_days {policy.retrain_after_days})",
        )
    artifact = train()
    logger.info("%s: trained (%s)", artifact.model_key, reason)
    artifact.training = {
        "id": uuid.uuid4().hex,
        "digest": digest,
        "fingerprint": fingerprint(data.frames, data.train_end),
        "train_end": data.train_end.date().isoformat(),
        "data_end": data.data_end.date().isoformat(),
        "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "reason": reason,
    }
    artifact.reused = False
    artifact.decision = f"trained: {reason}"
    return artifact


def split_days(days: pd.Series, split: pd.Series) -> tuple[pd.Timestamp, pd.Timestamp | None]:
    """The last day of train + validation and the first test day of a split column."""
    days = pd.to_datetime(days)
    fitted = days[split.isin(["train", "validation"]).to_numpy()]
    tested = days[(split == "test").to_numpy()]
    return _day(fitted.max()), (_day(tested.min()) if len(tested) else None)
