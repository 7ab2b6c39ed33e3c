"""The project's models in MLflow: logged without pickle, loaded only in that form.

:func:`log_model` logs a :class:`~data_collection_kedro.modeling.artifacts.ModelArtifact` as an
MLflow ``python_function`` model whose ``loader_module`` is
:mod:`data_collection_kedro.modeling.model_files` (CatBoost's format, the pipelines'
scikit-learn estimators attribute by attribute from an allow-list with their arrays as raw bytes,
skops with an explicit trusted-types list for any other estimator, JSON, Parquet): ``mlflow.pyfunc.load_model("models:/<name>@champion")``
loads it without ``MLFLOW_ALLOW_PICKLE_DESERIALIZATION``, and loading runs no code from the
artifact. :func:`load_registered_model` is what the dashboard and the project's ``predict``
helpers use: an explicit client (no process-wide MLflow state), and a refusal of any model that
is not in this form (a pickled flavour, another loader module, code shipped with the model).

MLflow's fluent API keeps the tracking and registry URIs process-wide; :func:`mlflow_uris` sets
them for one call and puts the previous ones back (module state and environment variables).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from data_collection_kedro.modeling.artifacts import ModelArtifact, pinned_requirements
from data_collection_kedro.modeling.model_files import ModelFormatError, save_model

LOADER_MODULE = "data_collection_kedro.modeling.model_files"
MODEL_NAME = "model"  # artifact name of the model in its run
DATA_FOLDER = "model_files"
#: what loading a logged model needs besides the model's own libraries
LOADING_REQUIREMENTS = ("skops", "pyarrow")
#: python_function keys that would run code from the artifact (code paths, pickled models)
FORBIDDEN_KEYS = ("code", "python_model", "model_code_path", "cloudpickle_version", "model_config")


class UnsafeModelError(ModelFormatError):
    """A logged model that is not in the project's code-free form: it is not loaded."""


def mlflow_process_state() -> tuple[str | None, ...]:
    """MLflow's process-wide URIs: the fluent API's tracking and registry URIs (module state)
    and the ``MLFLOW_TRACKING_URI`` / ``MLFLOW_REGISTRY_URI`` environment variables. The
    project's code leaves them as it found them (tests assert it)."""
    from mlflow.tracking._model_registry import utils as registry_utils
    from mlflow.tracking._tracking_service import utils as tracking_utils

    return (
        tracking_utils._tracking_uri,
        registry_utils._registry_uri,
        os.environ.get("MLFLOW_TRACKING_URI"),
        os.environ.get("MLFLOW_REGISTRY_URI"),
    )


@contextmanager
def mlflow_uris(tracking_uri: str, registry_uri: str | None = None) -> Iterator[None]:
    """MLflow's process-wide tracking and registry URIs set for the block, then restored."""
    import mlflow
    from mlflow.tracking._model_registry import utils as registry_utils
    from mlflow.tracking._tracking_service import utils as tracking_utils

    saved_globals = (tracking_utils._tracking_uri, registry_utils._registry_uri)
    saved_env = {k: os.environ.get(k) for k in ("MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI")}
    mlflow.set_tracking_uri(tracking_uri)
    mlflow.set_registry_uri(registry_uri or tracking_uri)
    try:
        yield
    finally:
        mlflow.set_tracking_uri(saved_globals[0])  # type: ignore[arg-type]  # None: unset
        registry_utils._registry_uri = saved_globals[1]
        for key, value in saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _requirements(artifact: ModelArtifact) -> list[str]:
    wanted = {r.split("==")[0].lower(): r for r in artifact.pip_requirements}
    wanted.pop("cloudpickle", None)  # nothing is pickled
    for requirement in pinned_requirements(*LOADING_REQUIREMENTS):
        wanted.setdefault(requirement.split("==")[0].lower(), requirement)
    return sorted(wanted.values())


def log_model(artifact: ModelArtifact, run_id: str, tracking_uri: str) -> str:
    """Log ``artifact``'s model into the run ``run_id``; its model URI."""
    import mlflow
    from mlflow.models import infer_signature

    example = artifact.input_example[artifact.input_columns]
    signature = infer_signature(example, artifact.model.predict(example))
    with tempfile.TemporaryDirectory(prefix="energiewatch-model-") as folder:
        data_path = Path(folder) / DATA_FOLDER
        save_model(artifact.model, data_path)
        with mlflow_uris(tracking_uri), mlflow.start_run(run_id=run_id, nested=True):
            info = mlflow.pyfunc.log_model(
                name=MODEL_NAME,
                loader_module=LOADER_MODULE,
                data_path=str(data_path),
                signature=signature,
                input_example=example,
                pip_requirements=_requirements(artifact),
            )
    return str(info.model_uri)


def register_model(model_uri: str, name: str, tracking_uri: str) -> str:
    """Register ``model_uri`` as a new version of ``name``; the version."""
    import mlflow

    with mlflow_uris(tracking_uri):
        return str(mlflow.register_model(model_uri, name).version)


def load_logged_model(local_path: Path | str) -> Any:
    """A ``PyFuncModel`` of a model folder downloaded from MLflow, built without MLflow's
    loader (which would import code shipped with the model): :class:`UnsafeModelError` unless
    its ``python_function`` flavour is exactly the project's code-free form."""
    from mlflow.models import Model
    from mlflow.pyfunc import PyFuncModel

    from data_collection_kedro.modeling.model_files import _load_pyfunc

    folder = Path(local_path).resolve()
    try:
        meta = Model.load(str(folder))
    except Exception as exc:
        raise UnsafeModelError(f"{folder}: no readable MLmodel ({exc})") from None
    conf = meta.flavors.get("python_function") or {}
    problems = []
    if conf.get("loader_module") != LOADER_MODULE:
        problems.append(f"loader module {conf.get('loader_module')!r} (expected {LOADER_MODULE})")
    problems += [f"it ships {key!r}" for key in FORBIDDEN_KEYS if conf.get(key)]
    pickled = sorted(set(meta.flavors) - {"python_function"})
    if pickled:
        problems.append(f"other flavours {', '.join(pickled)}")
    data = (folder / str(conf.get("data", ""))).resolve()
    if not data.is_dir() or folder not in data.parents:
        problems.append("no model folder inside the artifact")
    if problems:
        raise UnsafeModelError(
            f"{folder}: not loaded, only models logged by the project without pickle are: "
            + "; ".join(problems)
        )
    return PyFuncModel(model_meta=meta, model_impl=_load_pyfunc(str(data)))


def load_registered_model(
    name: str,
    tracking_uri: str,
    *,
    alias: str | None = None,
    version: str | None = None,
    registry_uri: str | None = None,
) -> tuple[str, Any]:
    """``(version, PyFuncModel)`` of ``name`` at ``alias`` (or ``version``), read through an
    explicit client; :class:`UnsafeModelError` for a model not in the code-free form."""
    import mlflow.artifacts
    from mlflow import MlflowClient

    if (alias is None) == (version is None):
        raise ValueError("give either an alias or a version")
    client = MlflowClient(tracking_uri=tracking_uri, registry_uri=registry_uri or tracking_uri)
    found = (
        client.get_model_version_by_alias(name, alias)
        if alias is not None
        else client.get_model_version(name, str(version))
    )
    uri = client.get_model_version_download_uri(name, str(found.version))
    with tempfile.TemporaryDirectory(prefix="energiewatch-model-") as folder:
        local = mlflow.artifacts.download_artifacts(
            artifact_uri=uri, dst_path=folder, tracking_uri=tracking_uri
        )
        return str(found.version), load_logged_model(local)
