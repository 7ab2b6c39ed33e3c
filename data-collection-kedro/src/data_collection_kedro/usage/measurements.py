"""The carbon hook's node measurements the usage footprint uses by default.

Measured profiles take their energy per prediction from the latest measured run of their
model's inference node in ``emissions_nodes.csv`` (the carbon hook's file, in the project's
``carbon.output_dir``: ``ENERGIEWATCH_CARBON_DIR``, else ``$ENERGIEWATCH_DATA_DIR/09_carbon``);
the configured fallback applies only to a model whose node has no measurement yet. The result
states which file was read (:attr:`NodeMeasurements.note`).
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from data_collection_kedro.carbon.files import NODES_FILE_NAME
from data_collection_kedro.carbon.summary.loading import read_nodes_file


@dataclass(frozen=True)
class NodeMeasurements:
    """Rows of ``emissions_nodes.csv`` (None when there are none) and where they come from."""

    frame: pd.DataFrame | None
    note: str


def default_nodes_file() -> Path:
    """``emissions_nodes.csv`` of the project's carbon folder (resolved like a ``kedro run``)."""
    from data_collection_kedro.project_config import carbon_dir

    return carbon_dir() / NODES_FILE_NAME


def read_node_measurements(path: Path | str | None = None) -> NodeMeasurements:
    """The node rows of ``path`` (default :func:`default_nodes_file`); a missing or unreadable
    file gives no rows and a note saying so (measured profiles then use their fallback)."""
    file = Path(path) if path is not None else default_nodes_file()
    if not file.exists():
        return NodeMeasurements(
            None,
            f"no carbon-hook measurements ({file.name} not found in {file.parent}): measured "
            "profiles use their configured fallback until a pipeline run measures their node",
        )
    problems: list[str] = []
    frame = read_nodes_file(file, problems)
    if frame is None:
        return NodeMeasurements(
            None,
            f"carbon-hook measurements unreadable ({'; '.join(problems)[:300]}): measured "
            "profiles use their configured fallback",
        )
    skipped = f", {len(problems)} row(s) skipped" if problems else ""
    return NodeMeasurements(
        frame,
        f"measured profiles use the carbon hook's node measurements ({file.name}, "
        f"{len(frame)} node row(s){skipped}); the latest measured run of each inference node",
    )


class NodeMeasurementsCache:
    """:func:`read_node_measurements` of one file, read again only when the file changes."""

    def __init__(self, path: Path | str | None = None) -> None:
        self._path = Path(path) if path is not None else None
        self._lock = threading.Lock()
        self._stamp: tuple[int, int] | None = None
        self._value: NodeMeasurements | None = None

    def get(self) -> NodeMeasurements:
        with self._lock:
            if self._path is None:
                self._path = default_nodes_file()
            try:
                info = os.stat(self._path)
                stamp: tuple[int, int] | None = (info.st_mtime_ns, info.st_size)
            except OSError:
                stamp = None
            if self._value is None or stamp != self._stamp:
                self._value = read_node_measurements(self._path)
                self._stamp = stamp
            return self._value
