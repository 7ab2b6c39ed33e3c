"""A trained model (:class:`~data_collection_kedro.modeling.artifacts.ModelArtifact`) as a folder
of files that run no code when loaded: the catalog's ``*_model`` entries (no pickle).

Example catalog entry::

    anomaly_isolationforest_model:
      type: data_collection_kedro.datasets.ModelArtifactDataset
      filepath: ${globals:data_dir}/06_models/anomaly_isolationforest

A save writes a sibling temporary folder, then swaps it in: a reader never sees a half-written
model, and a failed save leaves the previous one. A model the run reused (``reused``, see
:mod:`data_collection_kedro.modeling.retraining`) whose training is the one stored already is not
written again.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path
from typing import Any

from kedro.io import AbstractDataset, DatasetError

from data_collection_kedro.modeling.artifacts import (
    ModelArtifact,
    load_artifact,
    save_artifact,
    stored_training_id,
)
from data_collection_kedro.modeling.model_files import ModelFormatError


class ModelArtifactDataset(AbstractDataset[ModelArtifact, ModelArtifact]):
    """Saves and loads a :class:`ModelArtifact` in the folder ``filepath``."""

    def __init__(self, filepath: str, metadata: dict[str, Any] | None = None) -> None:
        self._path = Path(filepath)
        self.metadata = metadata

    def _describe(self) -> dict[str, Any]:
        return {"filepath": str(self._path)}

    def _exists(self) -> bool:
        return (self._path / "artifact.json").is_file()

    def load(self) -> ModelArtifact:
        try:
            return load_artifact(self._path)
        except (ModelFormatError, OSError) as exc:
            raise DatasetError(f"{self._path}: {exc}") from exc

    def save(self, data: ModelArtifact) -> None:
        if not isinstance(data, ModelArtifact):
            raise DatasetError(f"{self._path}: expected a ModelArtifact, got {type(data).__name__}")
        if data.reused and data.training.get("id") == stored_training_id(self._path):
            return  # the stored model is this one
        self._path.parent.mkdir(parents=True, exist_ok=True)
        staging = self._path.with_name(f".{self._path.name}.{uuid.uuid4().hex}.tmp")
        try:
            save_artifact(data, staging)
        except (ModelFormatError, OSError) as exc:
            shutil.rmtree(staging, ignore_errors=True)
            raise DatasetError(f"{self._path}: {exc}") from exc
        previous = self._path.with_name(f".{self._path.name}.{uuid.uuid4().hex}.old")
        if self._path.exists():
            os.replace(self._path, previous)
        os.replace(staging, self._path)
        shutil.rmtree(previous, ignore_errors=True)
