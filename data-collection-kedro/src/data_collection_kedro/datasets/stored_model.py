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

from kedro.io import DatasetError

from data_collection_kedro.datasets.model_artifact import ModelArtifactDataset
from data_collection_kedro.modeling.artifacts import ModelArtifact

logger = logging.getLogger(__name__)


class StoredModelDataset(ModelArtifactDataset):
    """Loads the :class:`ModelArtifact` stored in the folder ``filepath`` (None when absent or
    unreadable); never saves."""

    def load(self) -> ModelArtifact | None:  # type: ignore[override]
        if not self._exists():
            return None
        try:
            return super().load()
        except DatasetError as exc:
            logger.warning("the stored model is not readable, it will be retrained (%s)", exc)
            return None

    def save(self, data: ModelArtifact) -> None:
        raise DatasetError(
            f"{self._path}: a stored model is read only here; the training node's "
            "<name>_model entry (ModelArtifactDataset) saves it"
        )
