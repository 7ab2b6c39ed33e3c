"""The carbon files (docs/data-contracts.md §5): names, columns and writers."""

from __future__ import annotations

import csv
import fcntl
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from data_collection_kedro.run_context import safe_file_stem

NODES_FILE_NAME = "emissions_nodes.csv"

#: Columns of ``emissions_nodes.csv``, in order.
NODE_COLUMNS: tuple[str, ...] = (
    "run_id",
    "pipeline",
    "node",
    "started_at",
    "duration_s",
    "energy_kwh",
    "emissions_kg",
    "cpu_energy_kwh",
    "ram_energy_kwh",
    "gpu_energy_kwh",
    "measurement",
    "country_iso_code",
    "status",
    "run_pipeline",
    "phase",
    "idle_power_w",
    "idle_power_measured_at",
)

#: Columns older files may lack (``run_pipeline``: files written before per-pipeline rows,
#: where every row's ``pipeline`` was the pipeline that was run; ``phase``: the node's phase
#: tag, :mod:`data_collection_kedro.phases`; ``idle_power_w``: the machine's draw measured at
#: the tracker's start, the base of the marginal energy; ``idle_power_measured_at``: when that
#: draw was measured, UTC: at the run's start, or by an earlier run of the same machine whose
#: measurement the hook reused, docs/carbon.md).
OPTIONAL_NODE_COLUMNS = frozenset(
    {"run_pipeline", "phase", "idle_power_w", "idle_power_measured_at"}
)

#: Pseudo-node of every measured run: the time outside node tasks (runner start-up creating the
#: datasets, scheduling and dataset release, pipeline hooks; a node's own loads and saves are
#: in its row). Its ``pipeline`` is the run's own (``__default__`` for ``make run``). The node
#: rows of a run plus this row add up to the run total, as do the run's rows of the
#: ``emissions_<pipeline>.csv`` files.
OUTSIDE_NODES = "__outside_nodes__"

#: ``measurement`` values.
MEASUREMENT_RAPL = "RAPL"
MEASUREMENT_TDP = "TDP"
MEASUREMENT_CPU_LOAD = "cpu_load"
MEASUREMENT_CONSTANT = "constant"
MEASUREMENT_SKIPPED_CONCURRENT = "skipped-concurrent"
MEASUREMENT_SKIPPED_NESTED = "skipped-nested"
MEASUREMENT_OVERLAPPING_NODE = "unmeasured-overlapping-node"
MEASUREMENT_UNAVAILABLE = "unavailable"

#: Measurements that carry energy figures; any other value marks a node without them.
MEASURED = frozenset(
    {MEASUREMENT_RAPL, MEASUREMENT_TDP, MEASUREMENT_CPU_LOAD, MEASUREMENT_CONSTANT}
)


def pipeline_file_name(pipeline: str) -> str:
    """``emissions_<pipeline>.csv`` (characters unsafe in a file name become ``_``)."""
    return f"emissions_{safe_file_stem(pipeline)}.csv"


def append_node_rows(folder: Path | str, rows: Iterable[Mapping[str, Any]]) -> Path:
    """Append rows to ``emissions_nodes.csv`` (header written when the file is new or empty).

    The append holds an exclusive lock on the file, so runs of several processes (a measured
    run and a skipped concurrent one) never interleave their lines. A file written with fewer
    columns (an older version) is rewritten first with today's header, its rows kept, the new
    columns empty.
    """
    path = Path(folder) / NODES_FILE_NAME
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = list(rows)
    with open(path, "a+", newline="", encoding="utf-8") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            _upgrade_header(handle)
            handle.seek(0, 2)
            writer = csv.DictWriter(handle, fieldnames=NODE_COLUMNS, extrasaction="ignore")
            if handle.tell() == 0:
                writer.writeheader()
            for row in rows:
                writer.writerow({key: _cell(row.get(key)) for key in NODE_COLUMNS})
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
    return path


def _upgrade_header(handle: Any) -> None:
    """Rewrite an existing file whose header is an older subset of :data:`NODE_COLUMNS`."""
    handle.seek(0)
    header = handle.readline().rstrip("\r\n").split(",")
    if header == [""] or header == list(NODE_COLUMNS) or not set(header) <= set(NODE_COLUMNS):
        return  # new, current or foreign (the summary reports a foreign header)
    handle.seek(0)
    old_rows = list(csv.DictReader(handle))
    handle.seek(0)
    handle.truncate()
    writer = csv.DictWriter(handle, fieldnames=NODE_COLUMNS, extrasaction="ignore")
    writer.writeheader()
    for row in old_rows:
        writer.writerow({key: row.get(key) or "" for key in NODE_COLUMNS})


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, float) and value != value:  # NaN
        return ""
    return value
