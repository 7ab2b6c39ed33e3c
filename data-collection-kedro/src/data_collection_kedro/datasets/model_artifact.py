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

A folder is decoded once per process and state of its files: the artifact saved or loaded last
is kept in memory with the identity of the folder's files (name, inode, size, modification
time of each), and a load of the same folder in that state returns it instead of decoding the
model again (the training node's ``<name>_model_previous``, then the evaluation and the served
forecasts that read ``<name>_model``). A save swaps in new files, and any file replaced or
written to changes the identity: the next load reads the files.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import threading
import uuid
from collections import OrderedDict
from pathlib import Path
from typing import Any

from kedro.io import AbstractDataset, DatasetError

from data_collection_kedro.modeling.artifacts import (
    ARTIFACT_FILE,
    ModelArtifact,
    load_artifact,
    save_artifact,
    stored_training_id,
)
from data_collection_kedro.modeling.model_files import ModelFormatError

_Identity = tuple[tuple[str, int, int, int, int], ...]
#: the folders kept decoded at most (the least recently used goes first): a run has a few
#: models; a process that reads many data folders (tests) keeps a bounded number
MAX_DECODED = 32
#: folder -> (identity of its files, the artifact they hold)
_DECODED: OrderedDict[Path, tuple[_Identity, ModelArtifact]] = OrderedDict()
_DECODED_LOCK = threading.Lock()


def _identity(folder: Path) -> _Identity | None:
    """What identifies the files of the model in ``folder``: each file's name, device, inode,
    size and modification time (None: no artifact). A file replaced or written to changes it."""
    if not (folder / ARTIFACT_FILE).is_file():
        return None
    files = []
    try:
        for root, _, names in os.walk(folder):
            for name in names:
                path = os.path.join(root, name)
                stat = os.stat(path)
                files.append(
                    (
                        os.path.relpath(path, folder),
                        stat.st_dev,
                        stat.st_ino,
                        stat.st_size,
                        stat.st_mtime_ns,
                    )
                )
    except OSError:
        return None
    return tuple(sorted(files))


def _as_loaded(artifact: ModelArtifact) -> ModelArtifact:
    """What a load from the files gives: the run's decision about the model is not stored."""
    return dataclasses.replace(artifact, reused=False, decision="")


def _remember(folder: Path, artifact: ModelArtifact) -> None:
    identity = _identity(folder)
    with _DECODED_LOCK:
        if identity is None:
            _DECODED.pop(folder, None)
            return
        _DECODED[folder] = (identity, _as_loaded(artifact))
        _DECODED.move_to_end(folder)
        while len(_DECODED) > MAX_DECODED:
            _DECODED.popitem(last=False)


def _recall(folder: Path) -> ModelArtifact | None:
    identity = _identity(folder)
    with _DECODED_LOCK:
        known = _DECODED.get(folder)
        if known is not None:
            _DECODED.move_to_end(folder)
    if identity is None or known is None or known[0] != identity:
        return None
    return _as_loaded(known[1])


class ModelArtifactDataset(AbstractDataset[ModelArtifact, ModelArtifact]):
    """Saves and loads a :class:`ModelArtifact` in the folder ``filepath``."""

    def __init__(self, filepath: str, metadata: dict[str, Any] | None = None) -> None:
        self._path = Path(filepath).absolute()
        self.metadata = metadata

    def _describe(self) -> dict[str, Any]:
        return {"filepath": str(self._path)}

    def _exists(self) -> bool:
        return (self._path / "artifact.json").is_file()

    def load(self) -> ModelArtifact:
        known = _recall(self._path)
        if known is not None:
            return known
        try:
            artifact = load_artifact(self._path)
        except (ModelFormatError, OSError) as exc:
            raise DatasetError(f"{self._path}: {exc}") from exc
        _remember(self._path, artifact)
        return artifact

    def save(self, data: ModelArtifact) -> None:
        if not isinstance(data, ModelArtifact):
            raise DatasetError(f"{self._path}: expected a ModelArtifact, got {type(data).__name__}")
        if data.reused and data.training.get("id") == stored_training_id(self._path):
            if _recall(self._path) is None:
                _remember(self._path, data)
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
        _remember(self._path, data)
