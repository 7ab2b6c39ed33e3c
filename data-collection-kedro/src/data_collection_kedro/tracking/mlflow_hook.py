"""MLflow tracking of the model pipelines, as a Kedro hook.

Nodes never call MLflow: a training node returns a
:class:`~data_collection_kedro.modeling.artifacts.ModelArtifact`, an evaluation node returns
``model_metrics`` rows. This hook

- opens a parent run per pipeline run (lazily, at the first model, so ingestion-only runs do
  not create empty runs) tagged with the Kedro run id, pipeline, environment and git commit;
- opens a child run per model: parameters, validation metrics, the model (without pickle:
  :func:`data_collection_kedro.tracking.models.log_model`; signature from its input columns,
  input example, explicit pip requirements), registers it with its description and tags (what
  it predicts, unit, inputs, training period, metrics) and
  moves the ``champion`` alias only when the new version beats the current champion on the
  model's selection metric by more than ``champion_min_improvement`` (validation; from the
  artifact or from the model's ``model_metrics`` rows), once the pipeline run succeeded;
- for a model the retraining policy reused (:mod:`data_collection_kedro.modeling.retraining`),
  opens its child run all the same (parameters, validation metrics, this run's test metrics)
  tagged ``reused=true`` with the training it reuses (``training_id``) and the registered
  version and MLflow run of that training (``reused_model_version``, ``reused_run_id``), and
  neither logs the model again nor registers a version nor moves the alias: the version
  registered when it was trained (tag ``training_id``) stays the one that serves;
- logs ``model_metrics`` rows into the model's child run (``test_mape``, …) and the baselines'
  rows into the parent run (``baseline_persistence.test_mape``, …);
- writes what a node gives a run (parameters, metrics) in one ``log_batch`` call per run
  (one database transaction each), not one call per value;
- once the run's energy is settled in the shared run state
  (:meth:`~data_collection_kedro.run_context.RunRecord.when_energy_settled`, whatever the order
  Kedro calls the hooks in), logs each training node's energy and emissions measured by the
  carbon hook into its model's child run, and the node total into the parent run.

A run with model nodes does this work in a child process (:mod:`.process`,
``mlflow.tracking_process``): the hook sends it the models and metric rows, and it replays
them with this class.

Configuration: the ``mlflow:`` block of ``conf/base/parameters.yml`` (``tracking_uri``,
``artifact_location``, ``experiment_name``, ``enabled``, ``register_models``,
``champion_alias``, ``champion_min_improvement``, ``tracking_process``,
``tracking_process_timeout_s``). The hook talks to MLflow through an explicit
client; the fluent calls that need MLflow's process-wide URIs (logging and registering a model)
set them for the call only.
"""

from __future__ import annotations

import importlib
import logging
import math
import subprocess
import threading
import time
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any

import pandas as pd
from kedro.framework.hooks import hook_impl

from data_collection_kedro.modeling.artifacts import ModelArtifact
from data_collection_kedro.redaction import redact
from data_collection_kedro.run_context import RunRecord, RunRegistry, as_bool, run_key
from data_collection_kedro.tracking.models import log_model, register_model
from data_collection_kedro.tracking.process import (
    DEFAULT_TIMEOUT_S,
    TrackingProcess,
    TrackingProcessError,
    emit_records,
)

logger = logging.getLogger(__name__)

DEFAULT_EXPERIMENT = "energiewatch"
CHAMPION_ALIAS = "champion"
SELECTION_TAG = "selection_metric"
SELECTION_VALUE_TAG = "selection_metric_value"


def git_commit(path: Path) -> str | None:
    """The commit checked out at ``path`` (None outside a git work tree)."""
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=path,
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def is_local_store(uri: str) -> bool:
    """Whether MLflow keeps this tracking URI's runs on this machine (SQLite, files)."""
    scheme = uri.split("://", 1)[0] if "://" in uri else ""
    return scheme in ("", "file", "sqlite")


def ensure_sqlite_parent(uri: str) -> None:
    """Create the folder of a ``sqlite:///path`` database (MLflow does not)."""
    if uri.startswith("sqlite:///"):
        Path(uri.removeprefix("sqlite:///")).expanduser().parent.mkdir(parents=True, exist_ok=True)


def is_better(
    new: float, current: float | None, higher_is_better: bool, min_improvement: float = 0.0
) -> bool:
    """Whether ``new`` beats ``current`` by more than ``min_improvement`` (in the metric's
    units; a missing or NaN current value always loses)."""
    if not math.isfinite(new):
        return False
    if current is None or not math.isfinite(current):
        return True
    improvement = new - current if higher_is_better else current - new
    return improvement > min_improvement


def min_improvement(config: dict[str, Any], metric: str) -> float:
    """The improvement of ``metric`` a new version needs to take the champion alias
    (``mlflow.champion_min_improvement``: per metric, or one number for every metric)."""
    setting = config.get("champion_min_improvement", 0.0)
    if isinstance(setting, dict):
        setting = setting.get(metric, setting.get("default", 0.0))
    return float(setting or 0.0)


def _finite(metrics: dict[str, float]) -> dict[str, float]:
    return {k: float(v) for k, v in metrics.items() if v is not None and math.isfinite(float(v))}


class MlflowTrackingHook:
    """A parent MLflow run per pipeline run, a child run per model (see module docstring).

    ``runs`` is the project's shared run registry (``settings.RUNS``), where the carbon hook
    publishes its measurements; without it the hook keeps its own (no carbon metrics).
    """

    def __init__(
        self, runs: RunRegistry | None = None, tracking_process: bool | None = None
    ) -> None:
        self.runs = runs if runs is not None else RunRegistry()
        self._config: dict[str, Any] = {}
        self._project_path: Path | None = None
        self._tracking_process = tracking_process  # None: ``mlflow.tracking_process``
        self._worker: TrackingProcess | None = None
        self._reset()

    def _reset(self) -> None:
        self._run_params: dict[str, Any] = {}
        self._client: Any = None
        self._parent_run_id: str | None = None
        self._child_runs: dict[str, str] = {}  # model_key -> run id
        self._model_nodes: dict[str, str] = {}  # model_key -> training node name
        self._model_metrics: dict[str, dict[str, float]] = {}  # model_key -> {split_metric: v}
        self._pending: list[tuple[ModelArtifact, str, str]] = []  # artifact, model uri, run id
        self.registered_versions: dict[str, str] = {}  # registered name -> version of this run
        self._worker_tracks = False  # a model or metric rows were sent to the tracking process

    # ------------------------------------------------------------------------------ hooks
    @hook_impl
    def after_context_created(self, context: Any) -> None:
        self._project_path = Path(context.project_path)
        try:
            self._config = dict(context.params.get("mlflow") or {})
        except Exception:  # no parameters at all: tracking stays off
            self._config = {}

    @hook_impl
    def before_pipeline_run(self, run_params: dict[str, Any], pipeline: Any, catalog: Any) -> None:
        self._end_worker()  # a run that ended without its after/error hook
        self._reset()
        self._run_params = dict(run_params)
        if not (self._enabled() and _has_model_nodes(pipeline)):
            return
        if self._use_process():
            worker = TrackingProcess(
                float(self._config.get("tracking_process_timeout_s", DEFAULT_TIMEOUT_S))
            )
            worker.send("configure", self._project_path, self._config)
            worker.send("before_pipeline_run", self._run_params)
            self._worker = worker
        else:
            _import_mlflow_in_background()

    @hook_impl
    def after_node_run(self, node: Any, outputs: dict[str, Any]) -> None:
        if not self._enabled():
            return
        tracked = _tracked_outputs(outputs)
        if not tracked:
            return
        if self._worker is not None:
            self._worker.send("after_node_run", node.name, _for_process(tracked))
            self._worker_tracks = True
            return
        for value in tracked.values():
            if isinstance(value, ModelArtifact):
                self._log_model(node.name, value)
            else:
                self._log_metric_rows(value)

    @hook_impl
    def after_pipeline_run(self, run_params: dict[str, Any]) -> None:
        if self._worker is not None:
            worker, self._worker = self._worker, None
            if not self._worker_tracks:
                # its nodes produced no model and no metric rows (a serving run of
                # ``forecast_next_days``): the child has written nothing and would write
                # nothing, as in process; no need to wait for its MLflow import
                worker.kill()
                return
            worker.send("after_pipeline_run", dict(run_params))
            try:
                self._adopt(worker.sync())
            except Exception:
                worker.kill()
                raise
            # the carbon metrics once the run's energy is settled, then the process ends
            self.runs.run(run_key(run_params)).when_energy_settled(
                partial(self._finish_worker, worker, run_key(run_params))
            )
            return
        if self._parent_run_id is not None:
            self.runs.run(run_key(run_params)).when_energy_settled(
                partial(
                    _log_carbon,
                    self._client,
                    self._parent_run_id,
                    dict(self._child_runs),
                    dict(self._model_nodes),
                )
            )
            if self._config.get("register_models", True):
                for artifact, model_uri, run_id in self._pending:
                    self._register(artifact, model_uri, run_id)
            self._client.set_terminated(self._parent_run_id, "FINISHED")
        self._parent_run_id = None

    @hook_impl
    def on_pipeline_error(self, error: Exception, run_params: dict[str, Any]) -> None:
        if self._worker is not None:
            worker, self._worker = self._worker, None
            worker.send("on_pipeline_error", redact(repr(error)), dict(run_params))
            try:
                self._adopt(worker.finish(), raise_error=False)
            except TrackingProcessError as exc:  # the run's own error is the one to raise
                logger.warning("MLflow tracking of the failed run: %s", exc)
            return
        if self._parent_run_id is not None:
            for run_id in self._child_runs.values():
                self._client.set_terminated(run_id, "FAILED")
            self._client.set_tag(self._parent_run_id, "error", redact(repr(error))[:500])
            self._client.set_terminated(self._parent_run_id, "FAILED")
        self._parent_run_id = None

    # ------------------------------------------------------------------ tracking process
    def _use_process(self) -> bool:
        if self._tracking_process is not None:
            return self._tracking_process
        return as_bool(self._config.get("tracking_process", True), "mlflow.tracking_process")

    def _adopt(self, reply: dict[str, Any], raise_error: bool = True) -> None:
        """The tracking process's log records and state; its failure raised (or logged)."""
        emit_records(list(reply.get("records") or []))
        self.registered_versions.update(reply.get("registered_versions") or {})
        error = reply.get("error")
        if error and raise_error:
            raise TrackingProcessError(f"MLflow tracking failed in the tracking process:\n{error}")
        if error:
            logger.warning("MLflow tracking failed in the tracking process:\n%s", error)

    def _finish_worker(self, worker: TrackingProcess, key: str, record: RunRecord) -> None:
        worker.send("energy", key, record.node_measurements(), record.energy)
        self._adopt(worker.finish())

    def _end_worker(self) -> None:
        if self._worker is not None:
            worker, self._worker = self._worker, None
            worker.kill()

    # ------------------------------------------------------------------------------ runs
    def _enabled(self) -> bool:
        return bool(self._config.get("enabled", True)) and bool(self._config.get("tracking_uri"))

    def _pipelines(self) -> list[str]:
        return list(self._run_params.get("pipeline_names") or ["__default__"])

    def _tracking_uri(self) -> str:
        return str(self._config["tracking_uri"])

    def _artifact_location(self) -> str | None:
        """``artifact_location`` as a URI (relative paths: from the Kedro project), for a local
        store; unset, ``mlartifacts`` beside a SQLite database (never MLflow's default,
        ``<working directory>/mlruns``); None lets a tracking server choose."""
        uri = self._tracking_uri()
        if not is_local_store(uri):
            return None
        location = self._config.get("artifact_location")
        if not location and uri.startswith("sqlite:///"):
            database = Path(uri.removeprefix("sqlite:///")).expanduser()
            location = str(database.resolve().parent / "mlartifacts")
        if not location:
            return None
        if "://" in str(location):
            return str(location)
        path = Path(str(location)).expanduser()
        if not path.is_absolute():
            path = (self._project_path or Path.cwd()) / path
        return path.resolve().as_uri()

    def _experiment(self, name: str) -> str:
        location = self._artifact_location()
        experiment = self._client.get_experiment_by_name(name)
        if experiment is None:
            return str(self._client.create_experiment(name, artifact_location=location))
        if location and experiment.artifact_location.rstrip("/") != location.rstrip("/"):
            logger.warning(
                "MLflow experiment %s keeps its artifacts in %s (created before), not in %s",
                name,
                redact(experiment.artifact_location),
                location,
            )
        return str(experiment.experiment_id)

    def _ensure_parent(self) -> str:
        if self._parent_run_id is not None:
            return self._parent_run_id
        from mlflow.tracking import MlflowClient

        uri = self._tracking_uri()
        ensure_sqlite_parent(uri)
        self._client = MlflowClient(tracking_uri=uri, registry_uri=uri)
        name = str(self._config.get("experiment_name", DEFAULT_EXPERIMENT))
        experiment_id = self._experiment(name)
        pipelines = self._pipelines()
        run = self._client.create_run(
            experiment_id,
            run_name=f"{'+'.join(pipelines)}-{self._run_params.get('run_id', '')}",
            tags=self._tags(pipelines),
        )
        self._parent_run_id = run.info.run_id
        self._experiment_id = experiment_id
        runtime = self._run_params.get("runtime_params") or {}
        _log_batch(
            self._client,
            self._parent_run_id,
            params={
                f"runtime.{key}": redact(value)[:500] for key, value in list(runtime.items())[:100]
            },
        )
        return self._parent_run_id

    def _tags(self, pipelines: list[str]) -> dict[str, str]:
        tags = {
            "kedro.run_id": str(self._run_params.get("run_id", "")),
            "kedro.session_id": str(self._run_params.get("run_id", "")),
            "kedro.pipeline": ",".join(pipelines),
            "kedro.env": str(self._run_params.get("env", "")),
            "kedro.version": str(self._run_params.get("kedro_version", "")),
        }
        commit = git_commit(self._project_path) if self._project_path else None
        if commit:
            tags["mlflow.source.git.commit"] = commit
            tags["git_sha"] = commit
        return tags

    def _log_model(self, node_name: str, artifact: ModelArtifact) -> None:
        parent = self._ensure_parent()
        client = self._client
        tags = {
            **self._tags(self._pipelines()),
            "mlflow.parentRunId": parent,
            "kedro.node": node_name,
            "model_key": artifact.model_key,
            **_retraining_tags(artifact),
        }
        if artifact.reused:
            tags.update(self._reused_version_tags(artifact))
        run = client.create_run(self._experiment_id, run_name=artifact.model_key, tags=tags)
        run_id = run.info.run_id
        self._child_runs[artifact.model_key] = run_id
        if not artifact.reused:  # a reused model's node trained nothing: no training_* energy
            self._model_nodes[artifact.model_key] = node_name
        _log_batch(
            client,
            run_id,
            params={key: redact(value)[:6000] for key, value in artifact.params.items()},
            metrics={
                f"validation_{key}": value
                for key, value in _finite(artifact.validation_metrics).items()
            },
        )
        if artifact.reused:  # logged and registered by the run that trained it
            client.set_terminated(run_id, "FINISHED")
            return

        model_uri = log_model(artifact, run_id, self._tracking_uri())
        client.set_terminated(run_id, "FINISHED")
        # registered when the run succeeds, once every metric of the model is known
        if artifact.registered_name:
            self._pending.append((artifact, model_uri, run_id))

    def _reused_version_tags(self, artifact: ModelArtifact) -> dict[str, str]:
        """``reused_model_version`` and ``reused_run_id``: the registered version (and the run
        that logged it) of the training a reused model comes from (none when it was not
        registered, e.g. registration off or a store that lost it)."""
        training_id = str(artifact.training.get("id") or "")
        if not artifact.registered_name or not training_id:
            return {}
        from mlflow.exceptions import MlflowException

        query = (
            f"name = '{_quoted(artifact.registered_name)}' "
            f"and tag.training_id = '{_quoted(training_id)}'"
        )
        try:
            found = self._client.search_model_versions(query)
        except MlflowException as exc:
            logger.warning("%s: no registered version found (%s)", artifact.model_key, exc)
            return {}
        if not found:
            return {}
        version = max(found, key=lambda v: int(v.version))
        tags = {"reused_model_version": str(version.version)}
        if version.run_id:
            tags["reused_run_id"] = str(version.run_id)
        return tags

    def _register(self, artifact: ModelArtifact, model_uri: str, run_id: str) -> None:
        from mlflow.exceptions import MlflowException

        client = self._client
        name = artifact.registered_name
        version = register_model(model_uri, name, self._tracking_uri())
        self.registered_versions[name] = str(version)
        self._describe(artifact, version, run_id)
        value = float(
            artifact.validation_metrics.get(
                artifact.selection_metric,
                self._model_metrics.get(artifact.model_key, {}).get(
                    f"validation_{artifact.selection_metric}", float("nan")
                ),
            )
        )
        client.set_model_version_tag(name, version, SELECTION_TAG, artifact.selection_metric)
        client.set_model_version_tag(name, version, SELECTION_VALUE_TAG, repr(value))
        client.set_model_version_tag(name, version, "run_id", run_id)
        alias = str(self._config.get("champion_alias", CHAMPION_ALIAS))
        try:
            current = client.get_model_version_by_alias(name, alias)
        except MlflowException:
            current = None
        current_value: float | None = None
        if current is not None:
            try:
                current_value = float(current.tags.get(SELECTION_VALUE_TAG, "nan"))
            except ValueError:
                current_value = None
        tolerance = min_improvement(self._config, artifact.selection_metric)
        if is_better(value, current_value, artifact.higher_is_better, tolerance):
            client.set_registered_model_alias(name, alias, version)
            client.set_tag(run_id, "champion", "true")
            logger.info(
                "%s v%s is the new %s (validation %s %.4g, previous %s)",
                name,
                version,
                alias,
                artifact.selection_metric,
                value,
                current_value,
            )
        else:
            client.set_tag(run_id, "champion", "false")
            logger.info(
                "%s v%s stays a challenger (validation %s %.4g, %s v%s: %s, "
                "improvement needed > %g)",
                name,
                version,
                artifact.selection_metric,
                value,
                alias,
                current.version if current else None,
                current_value,
                tolerance,
            )

    def _describe(self, artifact: ModelArtifact, version: str, run_id: str) -> None:
        """The registered model's and the version's description and tags (what it predicts,
        unit, inputs, training period, metrics): readable without the code."""
        client = self._client
        name = artifact.registered_name
        if artifact.description:
            client.update_registered_model(name, description=artifact.description)
            client.update_model_version(name, version, description=artifact.description)
        tags = {
            **artifact.tags,
            "model_key": artifact.model_key,
            "input_columns": ",".join(artifact.input_columns),
        }
        for key in ("train_first_day", "train_last_day", "train_rows"):
            if key in artifact.params:
                tags[key] = str(artifact.params[key])
        if artifact.training.get("id"):
            tags["training_id"] = str(artifact.training["id"])
        for key, value in tags.items():
            client.set_registered_model_tag(name, key, redact(value)[:5000])
            client.set_model_version_tag(name, version, key, redact(value)[:5000])
        for key, metric in _finite(artifact.validation_metrics).items():
            client.set_model_version_tag(name, version, f"validation_{key}", repr(metric))
        for key, metric in self._model_metrics.get(artifact.model_key, {}).items():
            client.set_model_version_tag(name, version, key, repr(metric))

    def _log_metric_rows(self, rows: pd.DataFrame) -> None:
        if rows.empty or not {"model", "split", "metric", "value"} <= set(rows.columns):
            return
        parent = self._ensure_parent()
        values = pd.to_numeric(rows["value"], errors="coerce").astype(float)
        by_run: dict[str, dict[str, float]] = {}
        for model, split, metric, value in zip(
            rows["model"].astype(str),
            rows["split"].astype(str),
            rows["metric"].astype(str),
            values,
            strict=True,
        ):
            if not math.isfinite(value):
                continue
            run_id = self._child_runs.get(model)
            self._model_metrics.setdefault(model, {})[f"{split}_{metric}"] = value
            if run_id is not None:
                by_run.setdefault(run_id, {})[f"{split}_{metric}"] = value
            else:
                by_run.setdefault(parent, {})[f"{model}.{split}_{metric}"] = value
        for run_id, metrics in by_run.items():
            _log_batch(self._client, run_id, metrics=metrics)


#: the modules the first model of a run needs (MLflow's client and SQL stores: seconds to
#: import), imported while the run's first nodes work
MLFLOW_MODULES = (
    "mlflow.tracking",
    "mlflow.entities",
    "mlflow.store.tracking.sqlalchemy_store",
    "mlflow.store.model_registry.sqlalchemy_store",
)
MODEL_TAG = "models"  # the tag of the model pipelines' nodes


def _has_model_nodes(pipeline: Any) -> bool:
    return any(MODEL_TAG in getattr(n, "tags", ()) for n in getattr(pipeline, "nodes", ()))


def import_mlflow() -> None:
    """Import :data:`MLFLOW_MODULES`; an import error is left for the hook's own import to
    raise, where it matters."""
    for name in MLFLOW_MODULES:
        try:
            importlib.import_module(name)
        except Exception:
            return


def _import_mlflow_in_background() -> None:
    """:func:`import_mlflow` in a daemon thread (Python's import locks make the hook's own
    imports wait for a module being imported, never import it twice)."""
    threading.Thread(target=import_mlflow, name="mlflow-import", daemon=True).start()


def _tracked_outputs(outputs: dict[str, Any]) -> dict[str, Any]:
    """The node outputs the hook logs: models and ``model_metrics*`` rows."""
    return {
        name: value
        for name, value in outputs.items()
        if isinstance(value, ModelArtifact)
        or (name.startswith("model_metrics") and isinstance(value, pd.DataFrame))
    }


def _for_process(tracked: dict[str, Any]) -> dict[str, Any]:
    """``tracked`` as sent to the tracking process: a reused model's estimator is left out
    (its run logs no model), so a re-run does not copy the models it only reuses."""
    return {
        name: replace(value, model=None)
        if isinstance(value, ModelArtifact) and value.reused
        else value
        for name, value in tracked.items()
    }


def _quoted(value: str) -> str:
    """``value`` inside a single-quoted MLflow search filter string."""
    return value.replace("\\", "\\\\").replace("'", "\\'")


def _log_batch(
    client: Any,
    run_id: str,
    *,
    metrics: dict[str, float] | None = None,
    params: dict[str, str] | None = None,
) -> None:
    """``metrics`` and ``params`` of a run in one ``log_batch`` call (MLflow splits it into
    its request limits: 1,000 values, 100 parameters): one transaction instead of one per
    value."""
    from mlflow.entities import Metric, Param

    timestamp = int(time.time() * 1000)
    metric_entities = [
        Metric(key, float(value), timestamp, 0) for key, value in (metrics or {}).items()
    ]
    param_entities = [Param(key, str(value)) for key, value in (params or {}).items()]
    client.log_batch(run_id, metrics=metric_entities, params=param_entities)


def _retraining_tags(artifact: ModelArtifact) -> dict[str, str]:
    """What the retraining policy decided about the model in this run."""
    tags = {"reused": str(artifact.reused).lower()}
    if artifact.decision:
        tags["retraining_decision"] = artifact.decision[:500]
    for key in ("id", "trained_at", "data_end", "train_end"):
        if artifact.training.get(key):
            tags[f"training_{key}"] = str(artifact.training[key])
    return tags


def _log_carbon(
    client: Any,
    parent_run_id: str,
    child_runs: dict[str, str],
    model_nodes: dict[str, str],
    record: RunRecord,
) -> None:
    """Log the carbon hook's node measurements of ``record`` into the run's MLflow runs: each
    model's training node (``training_energy_kwh``, ``training_emissions_kg``,
    ``training_duration_s``) into its child run, the node total into the parent run."""
    measurements = record.node_measurements()
    by_node = {str(m.get("node")): m for m in measurements}
    for model_key, run_id in child_runs.items():
        node_row = by_node.get(model_nodes.get(model_key, ""))
        if not node_row:
            continue
        metrics = {}
        for key in ("energy_kwh", "emissions_kg", "duration_s"):
            value = node_row.get(key)
            if value is not None and math.isfinite(float(value)):
                metrics[f"training_{key}"] = float(value)
        _log_batch(client, run_id, metrics=metrics)
    if measurements:
        total_energy = sum(float(m.get("energy_kwh") or 0.0) for m in measurements)
        total_emissions = sum(float(m.get("emissions_kg") or 0.0) for m in measurements)
        _log_batch(
            client,
            parent_run_id,
            metrics={"nodes_energy_kwh": total_energy, "nodes_emissions_kg": total_emissions},
        )
