"""``ModelArtifactDataset`` and ``modeling.model_files``: every kind of model the pipelines train
round-trips without pickle and predicts the same; anything that would run code is refused."""

from __future__ import annotations

import builtins
import json
import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from kedro.io import DatasetError

from data_collection_kedro.datasets import ModelArtifactDataset
from data_collection_kedro.modeling.artifacts import ModelArtifact
from data_collection_kedro.modeling.estimators import (
    LevelRatioRegressor,
    catboost_regressor,
    random_forest_regressor,
)
from data_collection_kedro.modeling.model_files import (
    SKOPS_TRUSTED_TYPES,
    ModelFormatError,
    load_model,
    save_model,
)

COLUMNS = ["region_code", "a", "b", "level_mwh"]


class Marker:
    """Unpickling this creates ``path``: proof that loading ran code."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (builtins.open, (str(self.path), "w"))


def _frame(n: int = 300, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "region_code": rng.choice(["11", "84", "93"], n).astype(object),
            "a": rng.normal(size=n),
            "b": rng.normal(size=n),
            "level_mwh": rng.uniform(100, 200, n),
        }
    )


def _models() -> dict[str, tuple[object, pd.DataFrame, str]]:
    """The structures the pipelines train (small), with their inputs and the method to compare."""
    from sklearn.cluster import KMeans
    from sklearn.ensemble import IsolationForest
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    frame = _frame()
    y = frame["level_mwh"] * (1 + 0.1 * frame["a"])
    numbers = frame[["a", "b"]]
    catboost = LevelRatioRegressor(
        catboost_regressor({"iterations": 30, "thread_count": 1}, ["region_code"]),
        "level_mwh",
        ["a"],
    ).fit(frame[COLUMNS], y)
    forest = LevelRatioRegressor(
        random_forest_regressor({"n_estimators": 10, "n_jobs": 1}, COLUMNS, ["region_code"]),
        "level_mwh",
    ).fit(frame[COLUMNS], y)
    isolation = Pipeline(
        [("scale", StandardScaler()), ("forest", IsolationForest(n_estimators=20, random_state=0))]
    ).fit(numbers)
    kmeans = KMeans(n_clusters=3, n_init=2, random_state=0).fit(numbers)
    return {
        "level-ratio-catboost": (catboost, frame[COLUMNS], "predict"),
        "level-ratio-random-forest": (forest, frame[COLUMNS], "predict"),
        "isolation-forest": (isolation, numbers, "score_samples"),
        "kmeans": (kmeans, numbers, "predict"),
    }


MODELS = _models()


@pytest.mark.parametrize("kind", list(MODELS))
def test_round_trip_predicts_the_same(kind: str, tmp_path: Path) -> None:
    model, inputs, method = MODELS[kind]
    artifact = ModelArtifact(
        model_key=kind,
        registered_name=f"energiewatch-{kind}",
        model=model,
        input_columns=list(inputs.columns),
        input_example=inputs.head(5).reset_index(drop=True),
        params={"n": np.int64(3), "features": "a,b"},
        validation_metrics={"mape": 4.2, "bias": float("nan")},
        pip_requirements=["scikit-learn==1"],
    )
    dataset = ModelArtifactDataset(filepath=str(tmp_path / "06_models" / kind))
    assert not dataset.exists()
    dataset.save(artifact)
    assert dataset.exists()
    loaded = dataset.load()
    np.testing.assert_array_equal(
        getattr(loaded.model, method)(inputs), getattr(model, method)(inputs)
    )
    assert loaded.model_key == kind and loaded.input_columns == list(inputs.columns)
    assert loaded.params == {"n": 3, "features": "a,b"}
    assert loaded.validation_metrics["mape"] == 4.2
    assert np.isnan(loaded.validation_metrics["bias"])
    pd.testing.assert_frame_equal(loaded.input_example, artifact.input_example)
    files = [p for p in (tmp_path / "06_models" / kind).rglob("*") if p.is_file()]
    suffixes = {p.suffix for p in files}
    assert suffixes <= {".json", ".parquet", ".cbm", ".bin"}, suffixes
    if "catboost" in kind:
        assert ".cbm" in suffixes  # CatBoost's own format


def test_saving_again_replaces_the_model_atomically(tmp_path: Path) -> None:
    model, inputs, _ = MODELS["kmeans"]
    dataset = ModelArtifactDataset(filepath=str(tmp_path / "kmeans"))
    artifact = ModelArtifact("k", "", model, list(inputs.columns), inputs.head(3))
    dataset.save(artifact)
    dataset.save(artifact)
    bad = ModelArtifact("k", "", object(), list(inputs.columns), inputs.head(3))
    with pytest.raises(DatasetError, match="has no safe format"):
        dataset.save(bad)
    assert dataset.load().model_key == "k"  # the previous save is intact
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kmeans"]  # no leftover


def _skops_saved() -> tuple[object, pd.DataFrame]:
    """A scikit-learn estimator outside ``SKLEARN_CLASSES``: saved in the skops format."""
    from sklearn.linear_model import LinearRegression

    frame = _frame()
    return LinearRegression().fit(frame[["a", "b"]], frame["level_mwh"]), frame[["a", "b"]]


@pytest.mark.parametrize(
    ("kind", "replaced"), [("isolation-forest", "arrays.bin"), ("skops", "model.skops")]
)
def test_a_pickle_in_place_of_the_model_is_refused(
    kind: str, replaced: str, tmp_path: Path
) -> None:
    """An attacker who can write the models folder replaces the arrays or the skops file with a
    pickle."""
    model, inputs = _skops_saved() if kind == "skops" else MODELS[kind][:2]
    dataset = ModelArtifactDataset(filepath=str(tmp_path / "anomaly"))
    dataset.save(ModelArtifact("a", "", model, list(inputs.columns), inputs.head(3)))
    marker = tmp_path / "code-ran"
    target = tmp_path / "anomaly" / "model" / replaced
    assert target.is_file()
    target.write_bytes(pickle.dumps(Marker(marker)))
    with pytest.raises(DatasetError, match="refused"):
        dataset.load()
    assert not marker.exists()


def test_a_manifest_pointing_at_a_pickle_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "model"
    save_model(MODELS["kmeans"][0], folder)
    marker = tmp_path / "code-ran"
    (folder / "model.pkl").write_bytes(pickle.dumps(Marker(marker)))
    arrays = json.loads((folder / "model.json").read_text(encoding="utf-8"))["arrays"]
    for node in (
        {"kind": "pickle", "file": "model.pkl"},
        {"kind": "object", "class": "builtins.open", "state": {}},
        {"kind": "sklearn", "class": "builtins.open", "state": {}},
        {"kind": "sklearn", "class": "sklearn.utils._testing.MinimalRegressor", "state": {}},
        {"kind": "catboost", "class": "os.system", "file": "model.pkl"},
        {"kind": "skops", "file": "../outside.skops"},
        {"kind": "array", "dtype": "|O", "shape": [1], "offset": 0, "nbytes": 8},
        {"kind": "array", "dtype": "<f8", "shape": [10**9], "offset": 0, "nbytes": 8 * 10**9},
        {"kind": "numpy_type", "name": "object"},
        {"kind": "scalar", "dtype": "object", "value": "x"},
        {"kind": "dict", "pairs": [[{"kind": "list", "items": []}, {"kind": "value", "value": 1}]]},
        {"kind": "slice", "start": "os.system", "stop": None, "step": None},
        {"kind": "sklearn_tree", "arguments": {"kind": "value", "value": 1}, "state": {}},
    ):
        manifest = {"format": "energiewatch-model", "version": 2, "model": node, "arrays": arrays}
        (folder / "model.json").write_text(json.dumps(manifest), encoding="utf-8")
        with pytest.raises(ModelFormatError):
            load_model(folder)
    assert not marker.exists()
    (folder / "model.json").unlink()
    with pytest.raises(ModelFormatError, match="never pickles"):
        load_model(folder)


def test_a_tree_pointing_outside_itself_is_refused(tmp_path: Path) -> None:
    """A forest whose files were rewritten consistently (the manifest records the new arrays)
    but whose first tree sends a prediction to a node that does not exist: refused, never
    followed (scikit-learn's compiled traversal does not check the indices)."""
    import hashlib

    folder = tmp_path / "model"
    save_model(MODELS["isolation-forest"][0], folder)
    manifest = json.loads((folder / "model.json").read_text(encoding="utf-8"))

    def first_tree(node: object) -> dict | None:
        if isinstance(node, dict):
            if node.get("kind") == "sklearn_tree":
                return node
            children = node.values()
        elif isinstance(node, list):
            children = node
        else:
            return None
        return next((t for t in map(first_tree, children) if t is not None), None)

    tree = first_tree(manifest["model"])
    assert tree is not None
    nodes = tree["state"]["items"]["nodes"]
    data = bytearray((folder / "arrays.bin").read_bytes())
    data[nodes["offset"] : nodes["offset"] + 8] = np.int64(10**6).tobytes()  # root's left child
    (folder / "arrays.bin").write_bytes(bytes(data))
    with pytest.raises(ModelFormatError, match="not the one the manifest records"):
        load_model(folder)
    manifest["arrays"]["sha256"] = hashlib.sha256(data).hexdigest()
    (folder / "model.json").write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(ModelFormatError, match="points outside the tree"):
        load_model(folder)


def test_a_skops_file_naming_an_untrusted_function_is_refused(tmp_path: Path) -> None:
    import os

    import skops.io

    folder = tmp_path / "model"
    save_model(_skops_saved()[0], folder)
    (folder / "model.skops").write_bytes(skops.io.dumps({"run": os.system}))
    with pytest.raises(ModelFormatError, match="refused"):
        load_model(folder)


def test_a_model_of_format_version_1_still_loads(tmp_path: Path) -> None:
    """Models stored before format version 2 (scikit-learn estimators as skops files, arrays as
    ``.npy`` files) load and predict the same."""
    import skops.io

    model, inputs, method = MODELS["kmeans"]
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "model.skops").write_bytes(skops.io.dumps(model))
    np.save(folder / "centres.npy", model.cluster_centers_, allow_pickle=False)
    root = {
        "kind": "tuple",
        "items": [
            {"kind": "skops", "file": "model.skops"},
            {"kind": "array", "file": "centres.npy"},
        ],
    }
    manifest = {"format": "energiewatch-model", "version": 1, "model": root}
    (folder / "model.json").write_text(json.dumps(manifest), encoding="utf-8")
    loaded, centres = load_model(folder)
    np.testing.assert_array_equal(getattr(loaded, method)(inputs), getattr(model, method)(inputs))
    np.testing.assert_array_equal(centres, model.cluster_centers_)


def test_the_pipelines_models_load_without_skops_nor_ipython(tmp_path: Path) -> None:
    """A fresh process loads every kind of model the pipelines train without importing skops
    (its import scans every scikit-learn estimator) and, ipywidgets being absent, without
    catboost's Jupyter widget (which imports IPython only to be dropped); the models predict
    the same as before saving."""
    import subprocess
    import sys

    for kind, (model, inputs, method) in MODELS.items():
        save_model(model, tmp_path / kind / "model")
        inputs.to_parquet(tmp_path / kind / "inputs.parquet")
        np.save(tmp_path / kind / "expected.npy", getattr(model, method)(inputs))
    code = f"""
import json, sys
from pathlib import Path
import numpy as np, pandas as pd
from data_collection_kedro.modeling.model_files import load_model
for kind, method in {json.dumps({k: v[2] for k, v in MODELS.items()})}.items():
    folder = Path(sys.argv[1]) / kind
    model = load_model(folder / "model")
    got = getattr(model, method)(pd.read_parquet(folder / "inputs.parquet"))
    np.testing.assert_array_equal(got, np.load(folder / "expected.npy"))
print(json.dumps({{m: m in sys.modules for m in ("skops.io", "IPython", "catboost")}}))
"""
    result = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, check=True
    )
    imported = json.loads(result.stdout.strip().splitlines()[-1])
    assert imported["catboost"] and not imported["skops.io"]
    ipywidgets = (
        subprocess.run([sys.executable, "-c", "import ipywidgets"], capture_output=True).returncode
        == 0
    )
    assert imported["IPython"] == ipywidgets


def test_a_real_import_error_of_catboost_is_not_hidden() -> None:
    """Only catboost's widget is kept from importing: a broken catboost (here its compiled
    core made unimportable) raises its ImportError, and the widget's entry is removed."""
    import subprocess
    import sys

    code = """
import sys
sys.modules["catboost._catboost"] = None
from data_collection_kedro.modeling.model_files import import_catboost
try:
    import_catboost()
except ImportError as exc:
    print("raised", "catboost._catboost" in str(exc), "catboost.widget" in sys.modules)
else:
    print("imported")
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.split() == ["raised", "True", "False"], result.stdout + result.stderr


def test_the_trusted_types_are_explicit_and_needed() -> None:
    """Each extra trusted type is needed by a model the pipelines train, and nothing more."""
    import skops.io

    needed: set[str] = set()
    for model, _, _ in MODELS.values():
        estimators = [model.estimator_] if isinstance(model, LevelRatioRegressor) else [model]
        for estimator in estimators:
            if type(estimator).__module__.startswith("sklearn"):
                needed |= set(skops.io.get_untrusted_types(data=skops.io.dumps(estimator)))
    assert needed == set(SKOPS_TRUSTED_TYPES)


def test_an_unknown_model_class_is_refused_at_save_with_the_fix(tmp_path: Path) -> None:
    class Custom:
        def predict(self, frame: pd.DataFrame) -> np.ndarray:
            return np.zeros(len(frame))

    with pytest.raises(ModelFormatError, match="add the class to model_files.PROJECT_CLASSES"):
        save_model(Custom(), tmp_path / "m")


def test_the_stored_model_dataset_reads_the_previous_model_or_none(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """``StoredModelDataset`` (the retraining policy's input): None when no model is stored or
    when the stored one is unreadable (it is retrained), the model otherwise; never saves."""
    from data_collection_kedro.datasets import StoredModelDataset

    model, inputs, _ = MODELS["kmeans"]
    folder = tmp_path / "06_models" / "kmeans"
    stored = StoredModelDataset(filepath=str(folder))
    assert not stored.exists() and stored.load() is None
    artifact = ModelArtifact("k", "", model, list(inputs.columns), inputs.head(3))
    artifact.training = {"id": "t1", "data_end": "2023-12-31"}
    ModelArtifactDataset(filepath=str(folder)).save(artifact)
    loaded = stored.load()
    assert loaded is not None and loaded.training == artifact.training and not loaded.reused
    with pytest.raises(DatasetError, match="read only"):
        stored.save(artifact)
    (folder / "model" / "model.json").write_text("{not json", encoding="utf-8")
    assert stored.load() is None
    assert "not readable, it will be retrained" in caplog.text


def test_a_reused_model_is_not_written_again(tmp_path: Path) -> None:
    import dataclasses

    model, inputs, _ = MODELS["kmeans"]
    folder = tmp_path / "kmeans"
    dataset = ModelArtifactDataset(filepath=str(folder))
    artifact = ModelArtifact("k", "", model, list(inputs.columns), inputs.head(3))
    artifact.training = {"id": "t1"}
    dataset.save(artifact)
    written = (folder / "artifact.json").stat().st_mtime_ns
    dataset.save(dataclasses.replace(dataset.load(), reused=True, decision="reused: ..."))
    assert (folder / "artifact.json").stat().st_mtime_ns == written
    metadata = json.loads((folder / "artifact.json").read_text(encoding="utf-8"))
    assert "reused" not in metadata and "decision" not in metadata  # what one run decided
    # a reused model of another training (the folder changed since) is written
    other = dataclasses.replace(artifact, training={"id": "t2"}, reused=True)
    dataset.save(other)
    assert dataset.load().training == {"id": "t2"}


def test_a_folder_is_decoded_once_per_state_of_its_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The stored model (``<name>_model_previous``), then the evaluation and the served
    forecasts (``<name>_model``) read one folder: one decode while its files stay the same; a
    save or a changed file is read again."""
    from data_collection_kedro.datasets import StoredModelDataset
    from data_collection_kedro.datasets import model_artifact as module

    decoded: list[Path] = []
    real_load = module.load_artifact

    def counting_load(folder: Path | str) -> ModelArtifact:
        decoded.append(Path(folder))
        return real_load(folder)

    monkeypatch.setattr(module, "load_artifact", counting_load)
    model, inputs, method = MODELS["kmeans"]
    folder = tmp_path / "clustering_kmeans"
    ModelArtifactDataset(filepath=str(tmp_path / "elsewhere")).save(
        ModelArtifact("other", "", model, list(inputs.columns), inputs.head(3))
    )
    artifact = ModelArtifact(
        "k", "", model, list(inputs.columns), inputs.head(3), training={"id": "t1"}
    )
    ModelArtifactDataset(filepath=str(folder)).save(artifact)

    previous = StoredModelDataset(filepath=str(folder)).load()
    assert previous is not None and decoded == []  # the saved artifact, not decoded again
    # what the run decided about a model is not stored, so a load does not give it back
    reused = ModelArtifact(**{**vars(artifact), "reused": True, "decision": "reused: same"})
    dataset = ModelArtifactDataset(filepath=str(folder))
    dataset.save(reused)  # the stored training: nothing written
    loaded = dataset.load()
    assert (loaded.reused, loaded.decision, loaded.training) == (False, "", {"id": "t1"})
    assert decoded == []
    np.testing.assert_array_equal(
        getattr(loaded.model, method)(inputs), getattr(model, method)(inputs)
    )

    # a file of the folder written to (same names): decoded again
    (folder / "input_example.parquet").write_bytes((folder / "input_example.parquet").read_bytes())
    assert dataset.load().model_key == "k"
    assert decoded == [folder.absolute()]
    assert dataset.load().model_key == "k"
    assert decoded == [folder.absolute()]  # once per state

    # another training saved in its place: the new one, not the one decoded before
    dataset.save(ModelArtifact("k2", "", model, list(inputs.columns), inputs.head(3)))
    assert StoredModelDataset(filepath=str(folder)).load().model_key == "k2"

    # a bounded number of folders stay decoded: the least recently used is decoded again
    monkeypatch.setattr(module, "MAX_DECODED", 1)
    decoded.clear()
    third = ModelArtifactDataset(filepath=str(tmp_path / "third"))
    third.save(ModelArtifact("k3", "", model, list(inputs.columns), inputs.head(3)))
    assert dataset.load().model_key == "k2"  # `folder` was evicted by the save of `third`
    assert third.load().model_key == "k3"  # ... which the load of `folder` evicted
    assert decoded == [folder.absolute(), (tmp_path / "third").absolute()]


def test_training_a_catboost_model_skips_catboost_s_jupyter_widget() -> None:
    """The training side imports catboost the same way as loading (``import_catboost``): a
    fresh process that builds and fits a CatBoost regressor imports IPython only when
    ipywidgets is installed (catboost's widget needs both)."""
    import subprocess
    import sys

    code = """
import json, sys
import numpy as np, pandas as pd
from data_collection_kedro.modeling.estimators import catboost_regressor
model = catboost_regressor({"iterations": 5, "thread_count": 1}, [])
model.fit(pd.DataFrame({"x": np.arange(20.0)}), np.arange(20.0))
print(json.dumps({"IPython": "IPython" in sys.modules}))
"""
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    imported = json.loads(result.stdout.strip().splitlines()[-1])
    ipywidgets = (
        subprocess.run([sys.executable, "-c", "import ipywidgets"], capture_output=True).returncode
        == 0
    )
    assert imported["IPython"] == ipywidgets


def _forged(change: str) -> np.ndarray:
    """The nodes of a fitted tree (copied) with one ``change``."""
    forest = MODELS["isolation-forest"][0][-1]  # type: ignore[index]
    nodes = forest.estimators_[0].tree_.__getstate__()["nodes"].copy()
    inner = np.flatnonzero(nodes["left_child"] != -1)
    leaf = np.flatnonzero(nodes["left_child"] == -1)
    node = inner[1]  # not the root: it has a parent before it
    if change == "left child is the node itself":
        nodes["left_child"][node] = node
    elif change == "right child before the node":
        nodes["right_child"][node] = 0
    elif change == "right child past the end":
        nodes["right_child"][node] = len(nodes)
    elif change == "inner node without right child":
        nodes["right_child"][node] = -1
    elif change == "leaf with a child":
        nodes["right_child"][leaf[0]] = len(nodes) - 1
    elif change == "feature past the model's":
        nodes["feature"][node] = 2
    elif change == "negative feature":
        nodes["feature"][node] = -2
    return nodes


@pytest.mark.parametrize(
    "change",
    [
        "left child is the node itself",
        "right child before the node",
        "right child past the end",
        "inner node without right child",
        "leaf with a child",
        "feature past the model's",
        "negative feature",
    ],
)
def test_each_way_a_tree_can_leave_itself_is_refused(change: str, tmp_path: Path) -> None:
    from data_collection_kedro.modeling.model_files import _check_tree_nodes

    _check_tree_nodes(_forged("none"), 2, tmp_path)  # the fitted tree passes
    with pytest.raises(ModelFormatError, match="points outside the tree"):
        _check_tree_nodes(_forged(change), 2, tmp_path)
    as_float = _forged("none").astype(
        [(n, "<f8" if n == "feature" else t) for n, (t, _) in _forged("none").dtype.fields.items()]
    )
    with pytest.raises(ModelFormatError, match="malformed tree nodes"):
        _check_tree_nodes(as_float, 2, tmp_path)
