"""Fitted models as files that run no code when loaded (no pickle anywhere).

A model is saved into a folder: ``model.json`` describes it as a tree whose leaves are

- CatBoost models in CatBoost's own format (``.cbm``; an unfitted template as its parameters);
- plain values (JSON; numpy scalars with their dtype), slices, numeric numpy types, numpy
  arrays (numeric ones as raw bytes in ``arrays.bin``, described in the manifest by dtype, shape
  and offset; text ones as a JSON list of strings) and pandas frames or series (Parquet);
- scikit-learn estimators of any other class in the skops format (``.skops``), loaded with
  skops' default trusted types (scikit-learn's estimators, numpy) plus the explicit
  :data:`SKOPS_TRUSTED_TYPES` (models saved before the estimators below were listed are stored
  so too);

and whose inner nodes are the project's own estimator classes listed in
:data:`PROJECT_CLASSES` and the scikit-learn estimators the pipelines train, listed in
:data:`SKLEARN_CLASSES` (both saved attribute by attribute and rebuilt without calling their
constructor; a scikit-learn estimator's attributes are its ``__getstate__``, restored by its
``__setstate__``, which warns when the scikit-learn version differs), and the trees of the
forests (:data:`SKLEARN_TREE`: the arrays of their nodes, refused when a node points outside
its tree, then checked by scikit-learn when restored). Loading only ever instantiates a class named in this module's allow-lists and only
reads arrays without pickle (an object dtype is refused): a file naming anything else, a
pickle, or a skops file holding an untrusted type is refused with :class:`ModelFormatError`. A
new kind of model is saved by adding its class to :data:`PROJECT_CLASSES` (its attributes must
follow the rules above), to :data:`SKLEARN_CLASSES` or its scikit-learn types to
:data:`SKOPS_TRUSTED_TYPES`; :func:`save_model` says which.

A scikit-learn estimator listed here loads without importing skops, whose import alone scans
every scikit-learn estimator (about half a second), and a forest loads from one file instead of
one skops node per tree attribute: the models a re-run reuses load in milliseconds. The
SHA-256 of ``arrays.bin`` is computed in a thread while the trees are rebuilt (a model is
returned only once it matched), and each tree's nodes are checked in one vectorised pass.

MLflow loads these folders through this module (``loader_module``: :func:`_load_pyfunc`), see
:mod:`data_collection_kedro.tracking.models`.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import json
import math
import sys
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

FORMAT = "energiewatch-model"
#: 2: scikit-learn estimators attribute by attribute, arrays in one ``arrays.bin`` (version 1,
#: skops files and one ``.npy`` per array, still loads)
FORMAT_VERSION = 2
READABLE_VERSIONS = (1, 2)
MANIFEST = "model.json"
ARRAYS_FILE = "arrays.bin"
#: byte alignment of each array in ``arrays.bin``
ARRAY_ALIGNMENT = 64

#: the project's estimator classes saved attribute by attribute (full names: never imported
#: from a name read in a file unless listed here)
PROJECT_CLASSES = frozenset(
    {
        "data_collection_kedro.modeling.estimators.LevelRatioRegressor",
        "data_collection_kedro.modeling.operational.OperationalForecaster",
    }
)
#: scikit-learn estimators saved attribute by attribute (their ``__getstate__``): those of the
#: anomaly model (a scaler and an IsolationForest), the clustering (KMeans) and the what-if
#: random forest (column encoding and a RandomForest)
SKLEARN_CLASSES = frozenset(
    {
        "sklearn.pipeline.Pipeline",
        "sklearn.preprocessing._data.StandardScaler",
        "sklearn.preprocessing._encoders.OrdinalEncoder",
        "sklearn.preprocessing._function_transformer.FunctionTransformer",
        "sklearn.compose._column_transformer.ColumnTransformer",
        "sklearn.ensemble._iforest.IsolationForest",
        "sklearn.ensemble._forest.RandomForestRegressor",
        "sklearn.tree._classes.ExtraTreeRegressor",
        "sklearn.tree._classes.DecisionTreeRegressor",
        "sklearn.cluster._kmeans.KMeans",
    }
)
#: the fitted tree of a scikit-learn tree estimator (rebuilt from its constructor arguments and
#: the arrays of its nodes, as its ``__reduce__`` gives them)
SKLEARN_TREE = "sklearn.tree._tree.Tree"
#: numpy scalar types saved as a value (an estimator's ``dtype`` parameter)
NUMPY_TYPES = frozenset(
    {"bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64"}
    | {"float16", "float32", "float64"}
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


def _project_class(name: str, allowed: frozenset[str] = PROJECT_CLASSES) -> Any:
    if name not in allowed:
        raise ModelFormatError(f"class {name!r} is not one of the project's model classes")
    module, _, qualname = name.rpartition(".")
    cls = getattr(importlib.import_module(module), qualname)
    if not isinstance(cls, type):
        raise ModelFormatError(f"{name!r} is not a class")
    return cls


def import_catboost() -> Any:
    """The ``catboost`` module, imported without its Jupyter widget when the widget cannot work.

    ``catboost/__init__.py`` imports its widget (``catboost.widget``) inside ``try/except
    Exception``; the widget imports IPython (installed here for kedro-viz), then ipywidgets, and
    is dropped when ipywidgets is missing, after a quarter of a second of importing IPython.
    When ipywidgets is not installed, a ``None`` entry for ``catboost.widget`` in
    ``sys.modules`` makes that import raise ``ImportError`` at once (Python's import system:
    "If the value is None, the import raises ModuleNotFoundError"), which catboost catches as
    it would have; the entry is removed afterwards. Only the widget is blocked: an error of
    catboost itself is raised as usual."""
    imported = sys.modules.get("catboost")
    if imported is not None:
        return imported
    block = "catboost.widget" not in sys.modules and importlib.util.find_spec("ipywidgets") is None
    if block:
        sys.modules["catboost.widget"] = None  # type: ignore[assignment]
    try:
        import catboost
    finally:
        if block and sys.modules.get("catboost.widget", False) is None:
            del sys.modules["catboost.widget"]
    return catboost


def _is_catboost(value: Any) -> bool:
    # a CatBoost model exists only once catboost is imported: no import to answer no
    module = sys.modules.get("catboost")
    return module is not None and isinstance(value, module.CatBoost)


def _is_sklearn(value: Any) -> bool:
    from sklearn.base import BaseEstimator

    return isinstance(value, BaseEstimator) and type(value).__module__.startswith("sklearn.")


def _is_plain_key(key: Any) -> bool:
    return key is None or isinstance(key, bool | int | float | str)


def _slice_bounds(parts: tuple[Any, ...]) -> bool:
    """Whether ``parts`` can be a slice's start, stop and step (whole numbers or None)."""
    return all(p is None or (isinstance(p, int) and not isinstance(p, bool)) for p in parts)


class _Writer:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.files: set[str] = set()
        self.arrays: list[bytes] = []
        self.array_bytes = 0

    def file(self, where: str, suffix: str) -> str:
        stem = "".join(c if c.isalnum() or c in "_-" else "_" for c in where) or "root"
        name, n = f"{stem}{suffix}", 1
        while name in self.files:
            n += 1
            name = f"{stem}_{n}{suffix}"
        self.files.add(name)
        return name

    def encode(self, value: Any, where: str) -> dict[str, Any]:
        if isinstance(value, np.generic):  # before float: numpy's float64 is a float
            return self._scalar(value, where)
        if value is None or isinstance(value, bool | int | str):
            return {"kind": "value", "value": value}
        if isinstance(value, float):
            return {
                "kind": "value",
                "value": value if math.isfinite(value) else repr(value),
                **({} if math.isfinite(value) else {"float": True}),
            }
        if isinstance(value, list | tuple):
            items = [self.encode(v, f"{where}.{i}") for i, v in enumerate(value)]
            return {"kind": "list" if isinstance(value, list) else "tuple", "items": items}
        if isinstance(value, dict):
            if all(isinstance(k, str) for k in value):
                return {
                    "kind": "dict",
                    "items": {k: self.encode(v, f"{where}.{k}") for k, v in value.items()},
                }
            if not all(_is_plain_key(k) for k in value):
                raise ModelFormatError(f"{where}: only mappings with plain keys can be saved")
            pairs = [
                [self.encode(k, f"{where}.key"), self.encode(v, f"{where}.{k}")]
                for k, v in value.items()
            ]
            return {"kind": "dict", "pairs": pairs}
        if isinstance(value, slice):
            parts = (value.start, value.stop, value.step)
            if not _slice_bounds(parts):
                raise ModelFormatError(f"{where}: only slices of whole numbers can be saved")
            return {"kind": "slice", "start": parts[0], "stop": parts[1], "step": parts[2]}
        if isinstance(value, type) and issubclass(value, np.generic):
            name = np.dtype(value).name
            if name not in NUMPY_TYPES:
                raise ModelFormatError(f"{where}: numpy type {name} cannot be saved")
            return {"kind": "numpy_type", "name": name}
        if isinstance(value, np.ndarray):
            return self._array(value, where)
        if isinstance(value, pd.DataFrame | pd.Series):
            return self._frame(value, where)
        if _is_catboost(value):
            return self._catboost(value, where)
        name = _full_name(type(value))
        if name in PROJECT_CLASSES:
            state = {k: self.encode(v, f"{where}.{k}") for k, v in vars(value).items()}
            return {"kind": "object", "class": name, "state": state}
        if name in SKLEARN_CLASSES:
            attributes = value.__getstate__()
            state = {k: self.encode(v, f"{where}.{k}") for k, v in attributes.items()}
            return {"kind": "sklearn", "class": name, "state": state}
        if name == SKLEARN_TREE:
            _, arguments, attributes = value.__reduce__()
            return {
                "kind": "sklearn_tree",
                "arguments": self.encode(list(arguments), f"{where}.arguments"),
                "state": self.encode(dict(attributes), where),
            }
        if _is_sklearn(value):
            return self._skops(value, where)
        raise ModelFormatError(
            f"{where}: {name} has no safe format; add the class to "
            "model_files.PROJECT_CLASSES (attributes: estimators, plain values, arrays, frames)"
        )

    def _scalar(self, value: np.generic, where: str) -> dict[str, Any]:
        name = value.dtype.name
        if name not in NUMPY_TYPES:
            return self.encode(value.item(), where)
        item = value.item()
        if isinstance(item, float) and not math.isfinite(item):
            return {"kind": "scalar", "dtype": name, "value": repr(item), "float": True}
        return {"kind": "scalar", "dtype": name, "value": item}

    def _array(self, value: np.ndarray, where: str) -> dict[str, Any]:
        if value.dtype == object:
            if not all(isinstance(v, str) for v in value.ravel()):
                raise ModelFormatError(f"{where}: object arrays must hold text only")
            return {"kind": "text_array", "values": value.tolist(), "shape": list(value.shape)}
        if value.dtype.hasobject:
            raise ModelFormatError(f"{where}: arrays with object fields cannot be saved")
        fortran = bool(value.flags.f_contiguous and not value.flags.c_contiguous)
        data = (value.T if fortran else np.ascontiguousarray(value)).tobytes()
        offset = -self.array_bytes % ARRAY_ALIGNMENT + self.array_bytes
        self.arrays.append(b"\0" * (offset - self.array_bytes) + data)
        self.array_bytes = offset + len(data)
        return {
            "kind": "array",
            "dtype": np.lib.format.dtype_to_descr(value.dtype),
            "shape": list(value.shape),
            "offset": offset,
            "nbytes": len(data),
            "fortran": fortran,
        }

    def write_arrays(self) -> dict[str, Any] | None:
        """Write ``arrays.bin``; its size and SHA-256 for the manifest (None: no array)."""
        if not self.arrays:
            return None
        data = b"".join(self.arrays)
        (self.folder / ARRAYS_FILE).write_bytes(data)
        return {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}

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
    """Decodes a manifest's tree of nodes.

    ``arrays.bin`` is read once, at its first array; its SHA-256 is computed in a thread while
    the decoding goes on (hashlib releases the GIL), and :meth:`decode` returns nothing before
    it matched the manifest's record: a file whose content is not the one recorded is refused
    as such, whatever else the decoding found. The arrays are never trusted meanwhile: they
    are numbers read without pickle, and a tree's nodes are checked before it is restored."""

    def __init__(self, folder: Path, arrays: Any = None) -> None:
        self.folder = folder.resolve()
        self.arrays_record = arrays
        self._arrays: memoryview | None = None
        self._digest: Future[str] | None = None
        self._dtypes: dict[str, np.dtype[Any]] = {}

    def path(self, node: dict[str, Any]) -> Path:
        name = str(node.get("file", ""))
        path = (self.folder / name).resolve()
        if path.parent != self.folder or not path.is_file():
            raise ModelFormatError(f"{self.folder}: file {name!r} missing or outside the model")
        return path

    def decode(self, node: Any) -> Any:
        try:
            value = self._decode(node)
        except ModelFormatError:
            self._check_arrays()  # a damaged arrays.bin is refused as such first
            raise
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            self._check_arrays()
            # a malformed manifest (a missing key, a value of the wrong type): a clear refusal
            raise ModelFormatError(
                f"{self.folder / MANIFEST}: malformed entry ({type(exc).__name__}: "
                f"{str(exc)[:200]})"
            ) from None
        self._check_arrays()
        return value

    def _check_arrays(self) -> None:
        """Wait for the digest of ``arrays.bin`` (when read) and refuse a file whose content is
        not the one the manifest records."""
        if self._digest is None or self._arrays is None:
            return
        digest, self._digest = self._digest.result(), None
        record = self.arrays_record if isinstance(self.arrays_record, dict) else {}
        if digest != record.get("sha256"):
            raise ModelFormatError(
                f"{self.folder / ARRAYS_FILE}: refused, its content is not the one the "
                f"manifest records ({len(self._arrays)} bytes, expected {record.get('bytes')})"
            )

    def _decode(self, node: Any) -> Any:
        if not isinstance(node, dict) or "kind" not in node:
            raise ModelFormatError(f"{self.folder / MANIFEST}: malformed entry {str(node)[:80]!r}")
        kind = node["kind"]
        if kind == "value":
            return float(node["value"]) if node.get("float") else node["value"]
        if kind == "scalar":
            if node["dtype"] not in NUMPY_TYPES:
                raise ModelFormatError(f"numpy scalar type {str(node['dtype'])[:40]!r} refused")
            value = float(node["value"]) if node.get("float") else node["value"]
            return np.dtype(node["dtype"]).type(value)
        if kind == "numpy_type":
            if node["name"] not in NUMPY_TYPES:
                raise ModelFormatError(f"numpy type {str(node['name'])[:40]!r} refused")
            return np.dtype(node["name"]).type
        if kind == "slice":
            parts = (node["start"], node["stop"], node["step"])
            if not _slice_bounds(parts):
                raise ModelFormatError(f"{self.folder / MANIFEST}: malformed slice")
            return slice(*parts)
        if kind in ("list", "tuple"):
            items = [self._decode(v) for v in node["items"]]
            return items if kind == "list" else tuple(items)
        if kind == "dict":
            if "pairs" in node:
                pairs = [(self._decode(k), self._decode(v)) for k, v in node["pairs"]]
                if not all(_is_plain_key(k) for k, _ in pairs):
                    raise ModelFormatError(f"{self.folder / MANIFEST}: malformed mapping key")
                return dict(pairs)
            return {str(k): self._decode(v) for k, v in node["items"].items()}
        if kind == "text_array":
            return np.array(node["values"], dtype=object).reshape(node["shape"])
        if kind == "array":
            if "file" in node:  # format version 1: one .npy file per array
                return np.load(self.path(node), allow_pickle=False)
            return self._array(node)
        if kind in ("frame", "series"):
            frame = pd.read_parquet(self.path(node))
            if kind == "frame":
                return frame
            return frame["values"].rename(self._decode(node["name"]))
        if kind in ("catboost", "catboost_params"):
            catboost = import_catboost()
            cls = str(node["class"])
            if cls not in CATBOOST_CLASSES:
                raise ModelFormatError(f"CatBoost class {cls!r} is not supported")
            if kind == "catboost_params":
                return getattr(catboost, cls)(**self._decode(node["params"]))
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
            instance.__dict__.update({k: self._decode(v) for k, v in node["state"].items()})
            return instance
        if kind == "sklearn":
            estimator_class = _project_class(str(node["class"]), SKLEARN_CLASSES)
            state = {str(k): self._decode(v) for k, v in node["state"].items()}
            estimator = estimator_class.__new__(estimator_class)
            estimator.__setstate__(state)  # BaseEstimator's: warns on another sklearn version
            return estimator
        if kind == "sklearn_tree":
            return self._tree(node)
        raise ModelFormatError(f"{self.folder / MANIFEST}: unknown entry kind {str(kind)[:40]!r}")

    def _array(self, node: dict[str, Any]) -> np.ndarray:
        if self._arrays is None:
            # read once into writable memory (the arrays are views of it), no zero-filling
            data = np.fromfile(self.path({"file": ARRAYS_FILE}), dtype=np.uint8).data
            hashing = ThreadPoolExecutor(max_workers=1)
            self._digest = hashing.submit(lambda: hashlib.sha256(data).hexdigest())
            hashing.shutdown(wait=False)  # the thread ends with the digest
            self._arrays = data
        descr = json.dumps(node["dtype"])
        dtype = self._dtypes.get(descr)
        if dtype is None:
            dtype = self._dtypes[descr] = np.lib.format.descr_to_dtype(node["dtype"])
        if dtype.hasobject:
            raise ModelFormatError(f"{self.folder / ARRAYS_FILE}: object arrays are refused")
        shape = [int(n) for n in node["shape"]]
        offset, nbytes = int(node["offset"]), int(node["nbytes"])
        count = math.prod(shape)
        if nbytes != count * dtype.itemsize or offset < 0 or offset + nbytes > len(self._arrays):
            raise ModelFormatError(f"{self.folder / ARRAYS_FILE}: array outside the file")
        flat = np.frombuffer(self._arrays, dtype=dtype, count=count, offset=offset)
        if node.get("fortran"):
            return flat.reshape(shape[::-1]).T
        return flat.reshape(shape)

    def _tree(self, node: dict[str, Any]) -> Any:
        tree_class = _project_class(SKLEARN_TREE, frozenset({SKLEARN_TREE}))
        n_features, n_classes, n_outputs = self._decode(node["arguments"])
        state = self._decode(node["state"])
        if not (
            isinstance(n_features, int | np.integer)
            and isinstance(n_outputs, int | np.integer)
            and isinstance(n_classes, np.ndarray)
            and n_classes.dtype.kind in "iu"
            and isinstance(state, dict)
        ):
            raise ModelFormatError(f"{self.folder / MANIFEST}: malformed tree")
        _check_tree_nodes(state.get("nodes"), int(n_features), self.folder)
        tree = tree_class(n_features, n_classes, n_outputs)
        tree.__setstate__(state)  # scikit-learn checks the arrays' dtypes and node count
        return tree


def _check_tree_nodes(nodes: Any, n_features: int, folder: Path) -> None:
    """Refuse tree nodes a prediction would follow out of the tree: scikit-learn's compiled
    traversal does not check the children's indices nor the features' (a damaged or forged
    file must fail here, not read memory outside the arrays).

    A leaf has no child on either side (-1); any other node's children come after it (no
    cycle) and inside the tree, and its feature is one of the model's. One pass over each
    field, no copy of the nodes."""
    names = ("left_child", "right_child", "feature")
    if (
        not isinstance(nodes, np.ndarray)
        or nodes.ndim != 1
        or not set(names) <= set(nodes.dtype.names or ())
        or any(nodes.dtype[name].kind != "i" for name in names)
    ):
        raise ModelFormatError(f"{folder / MANIFEST}: malformed tree nodes")
    count = len(nodes)
    left, right, feature = (nodes[name] for name in names)
    ids = np.arange(count)
    leaf = left == -1
    inner = (left > ids) & (left < count) & (right > ids) & (right < count)
    inner &= (feature >= 0) & (feature < n_features)
    if not np.where(leaf, right == -1, inner).all():
        raise ModelFormatError(f"{folder / MANIFEST}: refused, a tree node points outside the tree")


def save_model(model: Any, folder: Path | str) -> Path:
    """Save ``model`` into ``folder`` (created; must be empty or absent); its manifest path."""
    target = Path(folder)
    target.mkdir(parents=True, exist_ok=True)
    if any(target.iterdir()):
        raise ModelFormatError(f"{target}: the model folder must be empty")
    writer = _Writer(target)
    root = writer.encode(model, "model")
    arrays = writer.write_arrays()
    manifest = {"format": FORMAT, "version": FORMAT_VERSION, "model": root}
    if arrays is not None:
        manifest["arrays"] = arrays
    path = target / MANIFEST
    # compact: a forest's manifest describes every tree
    path.write_text(json.dumps(manifest, separators=(",", ":"), allow_nan=False), encoding="utf-8")
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
    if manifest.get("version") not in READABLE_VERSIONS:
        raise ModelFormatError(
            f"{manifest_path}: format version {manifest.get('version')!r}, expected one of "
            f"{READABLE_VERSIONS}"
        )
    return _Reader(target, manifest.get("arrays")).decode(manifest["model"])


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
