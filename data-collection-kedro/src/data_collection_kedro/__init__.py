"""EnergieWatch data platform (Kedro project ``data-collection-kedro``).

Pickle loading is off by default: MLflow refuses to unpickle a model unless
``MLFLOW_ALLOW_PICKLE_DESERIALIZATION`` is set to ``true`` explicitly (the project's own models
never need it: :mod:`data_collection_kedro.tracking.models`).
"""

import os

__version__ = "0.1.0"

os.environ.setdefault("MLFLOW_ALLOW_PICKLE_DESERIALIZATION", "false")
