"""Cached resources of the dashboard: settings, MLflow champions, store tables, the monitor.

Failures become :class:`UnavailableError` with a French message telling the user which
``kedro run --pipelines=...`` produces the missing model or table: pages show the message,
never a traceback.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse
from zoneinfo import ZoneInfo

import pandas as pd
import streamlit as st

from dashboard_ui.features import InputColumn, frame_for_signature, signature_columns
from dashboard_ui.formatting import FRENCH_TIME
from dashboard_ui.freshness import Freshness, assess, watermark_reader
from dashboard_ui.runs import latest_runs
from dashboard_ui.settings import DashboardSettings, environment_key, load_settings
from data_collection_kedro.monitoring import MonitoringStore, PredictionHandle, PredictionMonitor
from data_collection_kedro.redaction import redact

CHAMPION_ALIAS = "champion"
PARIS = ZoneInfo(FRENCH_TIME)


class UnavailableError(RuntimeError):
    """A model or a table the page needs is missing; the message says how to produce it."""


@st.cache_resource(show_spinner=False)
def _settings(_key: tuple[str | None, ...]) -> DashboardSettings:
    return load_settings()


def settings() -> DashboardSettings:
    """The configuration for the current environment variables."""
    return _settings(environment_key())


def run_hint(pipeline: str) -> str:
    return f"`kedro run --pipelines={pipeline}` (dans `data-collection-kedro/`)"


# ------------------------------------------------------------------------------- monitoring
@st.cache_resource(show_spinner=False)
def _monitor(_key: tuple[str | None, ...]) -> PredictionMonitor:
    config = settings()
    store = MonitoringStore.from_config(config.store)
    return PredictionMonitor(store, application=str(config.params["application"]))


def monitor() -> PredictionMonitor:
    return _monitor(environment_key())


def monitoring_store() -> MonitoringStore:
    return monitor().store


# ----------------------------------------------------------------------------------- models
@dataclass(frozen=True)
class Champion:
    name: str
    version: str
    model: Any  # mlflow.pyfunc.PyFuncModel
    input_columns: tuple[InputColumn, ...]

    def frame(self, rows: pd.DataFrame | Mapping[str, Any]) -> pd.DataFrame:
        return frame_for_signature(rows, self.input_columns)


def _sqlite_path(tracking_uri: str) -> Path | None:
    parsed = urlparse(tracking_uri)
    if parsed.scheme != "sqlite":
        return None
    # sqlite:///relative/path or sqlite:////absolute/path
    return Path(unquote(tracking_uri[len("sqlite:///") :]))


@st.cache_resource(show_spinner=False, ttl=600)
def _load_champion(tracking_uri: str, name: str, version: str) -> Champion:
    """One registered version, through an explicit MLflow client (no process-wide MLflow
    state), loaded only in the project's code-free form (never a pickle)."""
    from data_collection_kedro.tracking.models import load_registered_model

    # the project keeps its registry with its runs
    _, model = load_registered_model(name, tracking_uri, version=version)
    return Champion(name, version, model, tuple(signature_columns(model)))


def champion_version(model_key: str) -> str:
    """The registry version behind the ``champion`` alias of a model the dashboard serves."""
    config = settings()
    spec = config.model(model_key)
    name, hint = spec["name"], run_hint(spec["pipeline"])
    uri = config.tracking_uri
    sqlite_file = _sqlite_path(uri)
    if sqlite_file is not None and not sqlite_file.exists():
        raise UnavailableError(
            f"Aucun registre MLflow trouvé ({redact(uri)}) : le modèle « {name} » n'a pas encore été "
            f"entraîné. Lancez {hint}."
        )
    from mlflow import MlflowClient

    try:
        version = MlflowClient(tracking_uri=uri, registry_uri=uri).get_model_version_by_alias(
            name, CHAMPION_ALIAS
        )
    except Exception as exc:
        raise UnavailableError(
            f"Le modèle « {name} » n'a pas de version « {CHAMPION_ALIAS} » dans le registre "
            f"MLflow ({redact(uri)}). Lancez {hint}."
        ) from exc
    return str(version.version)


def champion(model_key: str) -> Champion:
    """The registered model's ``champion`` version (loaded once per version and cached)."""
    config = settings()
    spec = config.model(model_key)
    version = champion_version(model_key)
    try:
        return _load_champion(config.tracking_uri, spec["name"], version)
    except Exception as exc:
        raise UnavailableError(
            f"Le modèle « {spec['name']} » (version {version}) n'a pas pu être chargé : "
            f"{type(exc).__name__}: {redact(exc)}. Relancez {run_hint(spec['pipeline'])}."
        ) from exc


@contextmanager
def tracked_prediction(page: str, model_key: str) -> Iterator[tuple[Champion, PredictionHandle]]:
    """Load the champion and measure the prediction made in the block.

    The ``model_monitoring`` row is written on success and on failure (model missing, invalid
    input, prediction error); the exception then reaches the page, which shows its message.
    """
    name = settings().model(model_key)["name"]
    with monitor().track(page=page, model_name=name) as handle:
        model = champion(model_key)
        handle.model_version = model.version
        yield model, handle


# ----------------------------------------------------------------------------------- tables
@st.cache_resource(show_spinner=False)
def _catalog(_key: tuple[str | None, ...]) -> Any:
    from kedro.io import DataCatalog

    return DataCatalog.from_config(settings().catalog)


# store datasets whose ``load_args`` accept ``columns`` (a page may read only what it shows)
_COLUMN_LOADERS = ("DuckDBTableDataset", "MongoCollectionDataset")


@st.cache_data(show_spinner=False, ttl=60)
def _load_table(
    _key: tuple[str | None, ...], name: str, columns: tuple[str, ...] | None = None
) -> pd.DataFrame:
    if columns is None:
        return _catalog(_key).load(name)
    from kedro.io import DataCatalog

    declared = settings().catalog.get(name)
    entry = dict(
        declared if declared is not None else _catalog(_key).config_resolver.resolve_pattern(name)
    )
    kind = str(entry.get("store") or entry.get("type") or "")
    if not kind.endswith(_COLUMN_LOADERS):
        return _catalog(_key).load(name)[list(columns)]
    entry["load_args"] = {**dict(entry.get("load_args") or {}), "columns": list(columns)}
    return DataCatalog.from_config({name: entry}).load(name)


def load_table(name: str, columns: tuple[str, ...] | None = None) -> pd.DataFrame:
    """A table of the index store (through the project's catalog), or :class:`UnavailableError`.

    ``columns``: read only these (store datasets read only them; others are cut after loading).
    """
    config = settings()
    hint = run_hint(config.params["table_pipelines"].get(name, "__default__"))
    key = environment_key()
    try:
        catalog = _catalog(key)
    except Exception as exc:
        raise UnavailableError(
            f"Le catalogue Kedro n'a pas pu être chargé : {redact(exc)}"
        ) from exc
    if name not in catalog:
        raise UnavailableError(
            f"La table « {name} » n'est pas déclarée dans le catalogue ; lancez {hint}."
        )
    try:
        exists = catalog.exists(name)
    except Exception:
        exists = False
    if not exists:
        raise UnavailableError(f"La table « {name} » est absente du store : lancez {hint}.")
    try:
        return _load_table(key, name, columns)
    except Exception as exc:
        raise UnavailableError(
            f"La table « {name} » n'a pas pu être lue ({type(exc).__name__}: {redact(exc)}). "
            f"Si un pipeline est en cours d'écriture, réessayez ; sinon relancez {hint}."
        ) from exc


def optional_table(name: str, columns: tuple[str, ...] | None = None) -> pd.DataFrame | None:
    """The table, or None when it is unavailable (the page degrades without it)."""
    try:
        return load_table(name, columns)
    except UnavailableError:
        return None


def region_level(region_code: str, day: Any) -> float:
    """``level_mwh`` of a region before ``day`` from the ``meteo_consommation`` index."""
    from data_collection_kedro.domain.features import trailing_level

    config = settings().section("forecasting")
    history = load_table("meteo_consommation")
    return trailing_level(
        history,
        region_code,
        day,
        target=str(config.get("target", "gas_consumption_mwh")),
        window_days=int(config.get("level_window_days", 365)),
        min_periods=int(config.get("level_min_periods", 28)),
    )


def day_after_data() -> Any:
    """The day after the last day of ``meteo_consommation`` (the first day no index holds: the
    default date of the prediction forms), or None when the index is unavailable."""
    try:
        days = load_table("meteo_consommation")["day"]
    except (UnavailableError, KeyError):
        return None
    if days.empty:
        return None
    return (pd.to_datetime(days).max() + pd.Timedelta(days=1)).date()


# ------------------------------------------------------------------- freshness and runs
@st.cache_data(show_spinner=False, ttl=60)
def _freshness(_key: tuple[str | None, ...], now: dt.datetime) -> list[Freshness]:
    from data_collection_kedro.sources import registry

    config = settings()
    reader = watermark_reader(config.catalog["raw_{table}"])
    return assess(registry.sources(), reader, now, config.params.get("freshness") or {})


def source_freshness(now: dt.datetime | None = None) -> list[Freshness]:
    """The freshness of every declared source (cached a minute; see :mod:`.freshness`)."""
    moment = now or dt.datetime.now(tz=PARIS).replace(tzinfo=None, second=0, microsecond=0)
    return _freshness(environment_key(), moment)


def run_summary_dir() -> Path:
    """Where the run-summary hook writes one JSON file per run."""
    config = settings()
    folder = (config.parameters.get("run_summary") or {}).get("output_dir")
    if folder:
        return Path(folder)
    return Path(os.environ.get("ENERGIEWATCH_DATA_DIR", "data")) / "09_runs"


@st.cache_data(show_spinner=False, ttl=30)
def _latest_runs(_key: tuple[str | None, ...], limit: int) -> pd.DataFrame:
    return latest_runs(run_summary_dir(), settings().carbon_dir, limit)


def recent_runs(limit: int = 8) -> pd.DataFrame:
    """The most recent pipeline runs (see :mod:`dashboard_ui.runs`)."""
    return _latest_runs(environment_key(), limit)


# ------------------------------------------------------------------------------ fuel prices
FUEL_COLUMNS = (
    "day",
    "region_code",
    "region",
    "fuel",
    "price_min_eur_l",
    "price_median_eur_l",
    "price_max_eur_l",
    "station_count",
    "shortage_count",
)


@st.cache_data(show_spinner="Agrégation des prix des carburants par région…", ttl=600)
def _fuel_prices(_key: tuple[str | None, ...]) -> pd.DataFrame:
    from dashboard_ui.tables import regional_fuel_prices

    return regional_fuel_prices(load_table("prix_carburants_journalier", FUEL_COLUMNS))


def fuel_prices_by_region() -> pd.DataFrame:
    """Daily price per region and fuel (``tables.regional_fuel_prices``; cached 10 minutes:
    the department table holds about a million rows)."""
    return _fuel_prices(environment_key())
