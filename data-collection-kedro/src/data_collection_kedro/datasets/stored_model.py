"""The model a previous run stored, as a training node's input (load only).

Example catalog entry (a factory: one entry for every ``<name>_model`` of the catalog)::

    "{name}_model_previous":
      type: data_collection_kedro.datasets.StoredModelDataset
      filepath: ${globals:data_dir}/06_models/{name}

``load`` returns the :class:`~data_collection_kedro.modeling.artifacts.ModelArtifact` saved in
``filepath`` by :class:`~data_collection_kedro.datasets.ModelArtifactDataset`, or ``None`` when
there is none; a folder that cannot be read as a model (an older format, a damaged file) is
``None`` too, with a warning: the retraining policy then trains a new model instead of failing.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from kedro.io import AbstractDataset, DatasetError

from data_collection_kedro.modeling.artifacts import ARTIFACT_FILE, ModelArtifact, load_artifact
from data_collection_kedro.modeling.model_files import ModelFormatError

logger = logging.getLogger(__name__)


class StoredModelDataset(AbstractDataset[ModelArtifact, ModelArtifact | None]):
    """Loads the :class:`ModelArtifact` stored in the folder ``filepath`` (None when absent)."""

    def __init__(self, filepath: str, metadata: dict[str, Any] | None = None) -> None:
        self._path = Path(filepath)
        self.metadata = metadata

    def _describe(self) -> dict[str, Any]:
        return {"filepath": str(self._path)}

    def _exists(self) -> bool:
        return (self._path / ARTIFACT_FILE).is_file()

    def load(self) -> ModelArtifact | None:
        if not self._exists():
            return None
        try:
            return load_artifact(self._path)
        except (ModelFormatError, OSError, TypeError) as exc:
            logger.warning(
                "%s: the stored model is not readable, it will be retrained (%s)", self._path, exc
            )
            return None

    def save(self, data: ModelArtifact) -> None:
        raise DatasetError(
            f"{self._path}: a stored model is read only here; the training node's "
            "<name>_model entry (ModelArtifactDataset) saves it"
        )
