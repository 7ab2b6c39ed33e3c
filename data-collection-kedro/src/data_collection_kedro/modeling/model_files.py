"""Fitted models as files that run no code when loaded (no pickle anywhere).

A model is saved into a folder: ``model.json`` describes it as a tree whose leaves are

- CatBoost models in CatBoost's own format (``.cbm``; an unfitted template as its parameters);
- scikit-learn estimators in the skops format (``.skops``), loaded with skops' default trusted
  types (scikit-learn's estimators, numpy) plus the explicit :data:`SKOPS_TRUSTED_TYPES`;
- plain values (JSON), numpy arrays (``.npy`` without pickle, or a JSON list of strings) and
  pandas frames or series (Parquet);

and whose inner nodes are the project's own estimator classes listed in
:data:`PROJECT_CLASSES` (saved attribute by attribute, rebuilt without calling their
constructor). Loading only ever instantiates a class named in this module's allow-lists: a file
naming anything else, a pickle, or a skops file holding an untrusted type is refused with
:class:`ModelFormatError`. A new kind of model is saved by adding its class to
:data:`PROJECT_CLASSES` (its attributes must follow the rules above) or its scikit-learn types to
:data:`SKOPS_TRUSTED_TYPES`; :func:`save_model` says which.

MLflow loads these folders through this module (``loader_module``: :func:`_load_pyfunc`), see
:mod:`data_collection_kedro.tracking.models`.
"""

from __future__ import annotations

import importlib
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

FORMAT = "energiewatch-model"
FORMAT_VERSION = 1
MANIFEST = "model.json"

#: the project's estimator classes saved attribute by attribute (full names: never imported
#: from a name read in a file unless listed here)
PROJECT_CLASSES = frozenset(
    {
        "data_collection_kedro.modeling.estimators.LevelRatioRegressor",
        "data_collection_kedro.modeling.operational.OperationalForecaster",
    }
)
#: CatBoost classes saved in CatBoost's format
CATBOOST_CLASSES = frozenset({"CatBoost", "CatBoostRegressor", "CatBoostClassifier"})
#: types trusted when loading a skops file, beyond skops' defaults (scikit-learn estimators,
#: numpy): the trees of the forests
SKOPS_TRUSTED_TYPES = ("sklearn.tree._tree.Tree",)


class ModelFormatError(ValueError):
    """A model cannot be saved or loaded safely (the message names the part and the reason)."""


def _full_name(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def _project_class(name: str) -> Any:
    if name not in PROJECT_CLASSES:
        raise ModelFormatError(f"class {name!r} is not one of the project's model classes")
    module, _, qualname = name.rpartition(".")
    cls = getattr(importlib.import_module(module), qualname)
    if not isinstance(cls, type):
        raise ModelFormatError(f"{name!r} is not a class")
    return cls


def _is_catboost(value: Any) -> bool:
    try:
        from catboost import CatBoost
    except ImportError:  # pragma: no cover - catboost is a project requirement
        return False
    return isinstance(value, CatBoost)


def _is_sklearn(value: Any) -> bool:
    from sklearn.base import BaseEstimator

    return isinstance(value, BaseEstimator) and type(value).__module__.startswith("sklearn.")


class _Writer:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.files: set[str] = set()

    def file(self, where: str, suffix: str) -> str:
        stem = "".join(c if c.isalnum() or c in "_-" else "_" for c in where) or "root"
        name, n = f"{stem}{suffix}", 1
        while name in self.files:
            n += 1
            name = f"{stem}_{n}{suffix}"
        self.files.add(name)
        return name

    def encode(self, value: Any, where: str) -> dict[str, Any]:
        if value is None or isinstance(value, bool | int | str):
            return {"kind": "value", "value": value}
        if isinstance(value, float):
            return {
                "kind": "value",
                "value": value if math.isfinite(value) else repr(value),
                **({} if math.isfinite(value) else {"float": True}),
            }
        if isinstance(value, np.generic):
            return self.encode(value.item(), where)
        if isinstance(value, list | tuple):
            items = [self.encode(v, f"{where}.{i}") for i, v in enumerate(value)]
            return {"kind": "list" if isinstance(value, list) else "tuple", "items": items}
        if isinstance(value, dict):
            if not all(isinstance(k, str) for k in value):
                raise ModelFormatError(f"{where}: only mappings with text keys can be saved")
            return {
                "kind": "dict",
                "items": {k: self.encode(v, f"{where}.{k}") for k, v in value.items()},
            }
        if isinstance(value, np.ndarray):
            return self._array(value, where)
        if isinstance(value, pd.DataFrame | pd.Series):
            return self._frame(value, where)
        if _is_catboost(value):
            return self._catboost(value, where)
        if _full_name(type(value)) in PROJECT_CLASSES:
            state = {k: self.encode(v, f"{where}.{k}") for k, v in vars(value).items()}
            return {"kind": "object", "class": _full_name(type(value)), "state": state}
        if _is_sklearn(value):
            return self._skops(value, where)
        raise ModelFormatError(
            f"{where}: {_full_name(type(value))} has no safe format; add the class to "
            "model_files.PROJECT_CLASSES (attributes: estimators, plain values, arrays, frames)"
        )

    def _array(self, value: np.ndarray, where: str) -> dict[str, Any]:
        if value.dtype == object:
            if not all(isinstance(v, str) for v in value.ravel()):
                raise ModelFormatError(f"{where}: object arrays must hold text only")
            return {"kind": "text_array", "values": value.tolist(), "shape": list(value.shape)}
        name = self.file(where, ".npy")
        np.save(self.folder / name, value, allow_pickle=False)
        return {"kind": "array", "file": name}

    def _frame(self, value: pd.DataFrame | pd.Series, where: str) -> dict[str, Any]:
        name = self.file(where, ".parquet")
        series = isinstance(value, pd.Series)
        frame = value.to_frame(name="values") if isinstance(value, pd.Series) else value
        frame.to_parquet(self.folder / name)
        node: dict[str, Any] = {"kind": "series" if series else "frame", "file": name}
        if series:
            node["name"] = self.encode(value.name, f"{where}.name")
        return node

    def _catboost(self, value: Any, where: str) -> dict[str, Any]:
        cls = type(value).__name__
        if cls not in CATBOOST_CLASSES:
            raise ModelFormatError(f"{where}: CatBoost class {cls!r} is not supported")
        if not value.is_fitted():
            params = value.get_params()
            return {"kind": "catboost_params", "class": cls, "params": self.encode(params, where)}
        name = self.file(where, ".cbm")
        value.save_model(str(self.folder / name), format="cbm")
        return {"kind": "catboost", "class": cls, "file": name}

    def _skops(self, value: Any, where: str) -> dict[str, Any]:
        import skops.io

        data = skops.io.dumps(value)
        untrusted = sorted(set(skops.io.get_untrusted_types(data=data)) - set(SKOPS_TRUSTED_TYPES))
        if untrusted:
            raise ModelFormatError(
                f"{where}: skops would need to trust {', '.join(untrusted)} to load "
                f"{_full_name(type(value))}; add them to model_files.SKOPS_TRUSTED_TYPES if they "
                "are scikit-learn's own"
            )
        name = self.file(where, ".skops")
        (self.folder / name).write_bytes(data)
        return {"kind": "skops", "file": name}


class _Reader:
    def __init__(self, folder: Path) -> None:
        self.folder = folder.resolve()

    def path(self, node: dict[str, Any]) -> Path:
        name = str(node.get("file", ""))
        path = (self.folder / name).resolve()
        if path.parent != self.folder or not path.is_file():
            raise ModelFormatError(f"{self.folder}: file {name!r} missing or outside the model")
        return path

    def decode(self, node: Any) -> Any:
        if not isinstance(node, dict) or "kind" not in node:
            raise ModelFormatError(f"{self.folder / MANIFEST}: malformed entry {str(node)[:80]!r}")
        kind = node["kind"]
        if kind == "value":
            return float(node["value"]) if node.get("float") else node["value"]
        if kind in ("list", "tuple"):
            items = [self.decode(v) for v in node["items"]]
            return items if kind == "list" else tuple(items)
        if kind == "dict":
            return {str(k): self.decode(v) for k, v in node["items"].items()}
        if kind == "text_array":
            return np.array(node["values"], dtype=object).reshape(node["shape"])
        if kind == "array":
            return np.load(self.path(node), allow_pickle=False)
        if kind in ("frame", "series"):
            frame = pd.read_parquet(self.path(node))
            if kind == "frame":
                return frame
            return frame["values"].rename(self.decode(node["name"]))
        if kind in ("catboost", "catboost_params"):
            import catboost

            cls = str(node["class"])
            if cls not in CATBOOST_CLASSES:
                raise ModelFormatError(f"CatBoost class {cls!r} is not supported")
            if kind == "catboost_params":
                return getattr(catboost, cls)(**self.decode(node["params"]))
            model = getattr(catboost, cls)()
            model.load_model(str(self.path(node)), format="cbm")
            return model
        if kind == "skops":
            import skops.io

            data = self.path(node).read_bytes()
            try:
                return skops.io.loads(data, trusted=list(SKOPS_TRUSTED_TYPES))
            except Exception as exc:  # untrusted types, or not a skops file at all
                raise ModelFormatError(
                    f"{self.path(node).name}: refused ({type(exc).__name__}: {str(exc)[:300]})"
                ) from None
        if kind == "object":
            project_class = _project_class(str(node["class"]))
            instance = project_class.__new__(project_class)
            instance.__dict__.update({k: self.decode(v) for k, v in node["state"].items()})
            return instance
        raise ModelFormatError(f"{self.folder / MANIFEST}: unknown entry kind {str(kind)[:40]!r}")


def save_model(model: Any, folder: Path | str) -> Path:
    """Save ``model`` into ``folder`` (created; must be empty or absent); its manifest path."""
    target = Path(folder)
    target.mkdir(parents=True, exist_ok=True)
    if any(target.iterdir()):
        raise ModelFormatError(f"{target}: the model folder must be empty")
    writer = _Writer(target)
    root = writer.encode(model, "model")
    manifest = {"format": FORMAT, "version": FORMAT_VERSION, "model": root}
    path = target / MANIFEST
    path.write_text(json.dumps(manifest, indent=1, allow_nan=False), encoding="utf-8")
    return path


def load_model(folder: Path | str) -> Any:
    """The model saved in ``folder`` by :func:`save_model` (:class:`ModelFormatError` for
    anything else: a pickle, an unknown class, an untrusted skops type)."""
    target = Path(folder)
    manifest_path = target / MANIFEST
    if not manifest_path.is_file():
        raise ModelFormatError(
            f"{target}: no {MANIFEST}; only models saved by "
            "data_collection_kedro.modeling.model_files are loaded (never pickles)"
        )
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise ModelFormatError(f"{manifest_path}: not JSON ({exc})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ModelFormatError(f"{manifest_path}: not an {FORMAT} manifest")
    if manifest.get("version") != FORMAT_VERSION:
        raise ModelFormatError(
            f"{manifest_path}: format version {manifest.get('version')!r}, expected "
            f"{FORMAT_VERSION}"
        )
    return _Reader(target).decode(manifest["model"])


class LoadedModel:
    """What MLflow's pyfunc wraps: ``predict`` and the estimator (``get_raw_model``)."""

    def __init__(self, model: Any) -> None:
        self.model = model

    def predict(self, data: Any, params: dict[str, Any] | None = None) -> Any:
        return self.model.predict(data)

    def get_raw_model(self) -> Any:
        return self.model


def _load_pyfunc(path: str) -> LoadedModel:
    """MLflow's entry point (``loader_module`` of the logged models)."""
    return LoadedModel(load_model(path))
