"""Reading the carbon files, tolerant of bad files: a bad file or row is skipped with a warning.

- ``emissions_<pipeline>.csv``: CodeCarbon's columns. Only the columns every CodeCarbon
  version writes are required (``timestamp``, ``run_id``, ``duration``, ``emissions``,
  ``energy_consumed``); the others (``cpu_energy``, ``ram_energy``, ``cpu_count``, ``pue``…)
  are used when present, so files of older or newer versions load.
- ``emissions_nodes.csv``: the hook's per-node rows (docs/data-contracts.md §5).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd

from data_collection_kedro.carbon import files

RUN_REQUIRED = ("timestamp", "run_id", "duration", "emissions", "energy_consumed")
RUN_NUMERIC = (
    "duration",
    "emissions",
    "energy_consumed",
    "cpu_energy",
    "ram_energy",
    "gpu_energy",
    "cpu_power",
    "ram_power",
    "gpu_power",
    "cpu_count",
    "ram_total_size",
    "pue",
)
#: node columns every nodes file must have (the energy split, the country and the columns
#: added later may be absent)
NODE_REQUIRED = tuple(
    c
    for c in files.NODE_COLUMNS
    if c not in {"cpu_energy_kwh", "ram_energy_kwh", "gpu_energy_kwh", "country_iso_code"}
    and c not in files.OPTIONAL_NODE_COLUMNS
)
NODE_NUMERIC = tuple(c for c in files.NODE_COLUMNS if c.endswith(("_s", "_kwh", "_kg", "_w")))
#: node columns that may be empty (nodes recorded without a measurement)
NODE_NULLABLE = frozenset(NODE_NUMERIC) - {"duration_s"}


@dataclasses.dataclass
class CarbonData:
    runs: pd.DataFrame  # one row per pipeline run; + ``pipeline``, ``source_file``, ``started``
    nodes: pd.DataFrame  # one row per node run
    warnings: list[str]


def _read_csv(path: Path, warnings: list[str]) -> pd.DataFrame | None:
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except pd.errors.EmptyDataError:
        warnings.append(f"{path.name}: empty file, skipped")
        return None
    except (pd.errors.ParserError, UnicodeDecodeError, OSError) as exc:
        warnings.append(f"{path.name}: unreadable CSV ({exc}), skipped")
        return None
    if frame.empty:
        warnings.append(f"{path.name}: header but no rows, skipped")
        return None
    return frame


def _numeric(
    frame: pd.DataFrame,
    columns: tuple[str, ...],
    nullable: frozenset[str],
    path: Path,
    warnings: list[str],
) -> pd.DataFrame:
    """Convert ``columns`` to floats; drop (and report) rows with a non-numeric value."""
    bad = pd.Series(False, index=frame.index)
    for column in columns:
        if column not in frame.columns:
            continue
        raw = frame[column].astype(str).str.strip()
        values = pd.to_numeric(raw.where(raw != ""), errors="coerce")
        invalid = values.isna() & (raw != "")
        if column not in nullable:
            invalid |= raw == ""
        for index in frame.index[invalid]:
            warnings.append(
                f"{path.name} line {index + 2}: column {column!r} is {raw[index]!r}, "
                "expected a number; row skipped"
            )
        bad |= invalid
        frame[column] = values
    return frame.loc[~bad]


def _read_checked(
    path: Path,
    required: tuple[str, ...],
    numeric: tuple[str, ...],
    nullable: frozenset[str],
    expected: str,
    warnings: list[str],
) -> pd.DataFrame | None:
    """Read ``path``; skip it (with a warning naming ``expected``) when ``required`` columns are
    missing; add absent ``numeric`` columns (older/newer writers) and convert them."""
    frame = _read_csv(path, warnings)
    if frame is None:
        return None
    missing = [c for c in required if c not in frame.columns]
    if missing:
        warnings.append(
            f"{path.name}: missing column(s) {', '.join(missing)} ({expected}); file skipped"
        )
        return None
    for column in numeric:  # columns this writer's version did not write
        if column not in frame.columns:
            frame[column] = ""
    return _numeric(frame, numeric, nullable, path, warnings)


def read_run_file(path: Path, warnings: list[str]) -> pd.DataFrame | None:
    frame = _read_checked(
        path,
        RUN_REQUIRED,
        RUN_NUMERIC,
        frozenset(RUN_NUMERIC) - set(RUN_REQUIRED),
        f"a CodeCarbon emissions file needs {', '.join(RUN_REQUIRED)}",
        warnings,
    )
    if frame is None:
        return None
    stamps = pd.to_datetime(frame["timestamp"], errors="coerce", format="ISO8601")
    for index in frame.index[stamps.isna()]:
        warnings.append(
            f"{path.name} line {index + 2}: timestamp {frame.at[index, 'timestamp']!r} is not "
            "a date-time; row skipped"
        )
    frame = frame.loc[stamps.notna()].copy()
    if frame.empty:
        warnings.append(f"{path.name}: no valid row, skipped")
        return None
    ended = stamps.loc[frame.index]
    if getattr(ended.dt, "tz", None) is not None:
        ended = ended.dt.tz_convert(None)
    frame["ended"] = ended
    frame["started"] = frame["ended"] - pd.to_timedelta(frame["duration"], unit="s")
    frame["pipeline"] = path.stem.removeprefix("emissions_")
    frame["source_file"] = path.name
    return frame


def read_nodes_file(path: Path, warnings: list[str]) -> pd.DataFrame | None:
    frame = _read_checked(
        path,
        NODE_REQUIRED,
        NODE_NUMERIC,
        NODE_NULLABLE,
        f"expected the columns of docs/data-contracts.md §5: {', '.join(files.NODE_COLUMNS)}",
        warnings,
    )
    if frame is None:
        return None
    frame = frame.copy()
    if "run_pipeline" not in frame.columns:  # written before per-pipeline rows
        frame["run_pipeline"] = frame["pipeline"]
    return frame


def load_carbon_files(folder: Path | str) -> CarbonData:
    """Every ``emissions_<pipeline>.csv`` and ``emissions_nodes.csv`` of ``folder``."""
    folder = Path(folder)
    warnings: list[str] = []
    runs: list[pd.DataFrame] = []
    nodes: pd.DataFrame | None = None
    if not folder.is_dir():
        warnings.append(f"{folder}: no carbon folder (no measured run yet?)")
    else:
        for path in sorted(folder.glob("emissions_*.csv")):
            if path.name == files.NODES_FILE_NAME:
                nodes = read_nodes_file(path, warnings)
            else:
                frame = read_run_file(path, warnings)
                if frame is not None:
                    runs.append(frame)
    run_frame = (
        pd.concat(runs, ignore_index=True)
        if runs
        else pd.DataFrame(columns=[*RUN_REQUIRED, "pipeline", "source_file", "started", "ended"])
    )
    node_frame = nodes if nodes is not None else pd.DataFrame(columns=list(files.NODE_COLUMNS))
    return CarbonData(run_frame, node_frame.reset_index(drop=True), warnings)
