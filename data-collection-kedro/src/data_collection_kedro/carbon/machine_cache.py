"""What the carbon hook measured about this machine, kept between processes.

CodeCarbon detects the hardware (about a second: the CPU model through a subprocess) once per
process, and the hook measures the machine's idle draw (``carbon.idle_probe_s``, half a
second) once per run. Every ``kedro run`` is a new process, and an Airflow task is one too, so
both used to be paid by every run. They describe the machine, not the run: the hook keeps each
in a small JSON file of ``carbon.cache_dir`` and reuses it while it is younger than its
maximum age (``carbon.hardware_cache_max_age_h``, ``carbon.idle_power_max_age_min``).

A file is reused only by the same machine with the same settings: its key holds the machine
(:func:`machine_identity`: host name, CPU model, CPU count, installed memory), the CodeCarbon
version and the tracker settings that change the value; one file per key (the file name is a
digest of the key, and the key is stored and compared in full). A file that is unreadable,
of another key, older than the maximum age or dated in the future is ignored (and replaced by
the next measurement). Writes replace the file atomically, so concurrent runs never read half
a file. docs/carbon.md, "Caches of the machine's measurements", tells what each file holds.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
import socket
import tempfile
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from data_collection_kedro.run_context import now_iso

logger = logging.getLogger(__name__)

#: file-name prefixes of the two caches
HARDWARE = "hardware"
IDLE_POWER = "idle-power"

#: a measurement dated more than this in the future (clock changed) is not trusted
_CLOCK_SLACK_S = 60.0


@dataclasses.dataclass(frozen=True)
class CachedMeasurement:
    """A value read back from the cache, with when it was measured (UTC, ISO 8601)."""

    value: Any
    measured_at: str


def machine_identity() -> dict[str, Any]:
    """What tells this machine apart: host name, CPU model (``/proc/cpuinfo``), logical CPU
    count and installed memory (bytes). Cheap: nothing is probed."""
    return {
        "hostname": socket.gethostname(),
        "cpu_model": _cpu_model(),
        "cpu_count": os.cpu_count(),
        "ram_total_bytes": _ram_total_bytes(),
    }


def read(
    folder: Path | str, kind: str, key: Mapping[str, Any], max_age_s: float
) -> CachedMeasurement | None:
    """The value stored for ``key`` when measured less than ``max_age_s`` seconds ago."""
    if max_age_s <= 0:
        return None
    path = _path(folder, kind, key)
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
        measured_at = str(stored["measured_at"])
        age_s = (datetime.now(UTC) - datetime.fromisoformat(measured_at)).total_seconds()
        same_key = stored["key"] == _plain(key)
        value = stored["value"]
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        logger.debug("carbon: cache file %s ignored (%s)", path, exc)
        return None
    if not same_key or not -_CLOCK_SLACK_S <= age_s <= max_age_s:
        return None
    return CachedMeasurement(value=value, measured_at=measured_at)


def write(
    folder: Path | str,
    kind: str,
    key: Mapping[str, Any],
    value: Any,
    measured_at: str | None = None,
) -> Path | None:
    """Store ``value`` for ``key`` (atomically); ``None`` when the folder is not writable
    (logged: the next run measures again, nothing else changes)."""
    path = _path(folder, kind, key)
    document = {"key": _plain(key), "measured_at": measured_at or now_iso(), "value": value}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(document, out, indent=1, sort_keys=True)
        os.replace(temporary, path)
    except (OSError, TypeError, ValueError) as exc:
        logger.warning("carbon: could not write the cache file %s (%s)", path, exc)
        return None
    return path


def _path(folder: Path | str, kind: str, key: Mapping[str, Any]) -> Path:
    digest = hashlib.sha256(json.dumps(_plain(key), sort_keys=True).encode()).hexdigest()
    return Path(folder) / f"{kind}-{digest[:16]}.json"


def _plain(key: Mapping[str, Any]) -> Any:
    """``key`` as JSON reads it back (tuples become lists), for comparisons."""
    return json.loads(json.dumps(dict(key), sort_keys=True, default=str))


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.partition(":")[2].strip()
    except OSError:
        pass
    import platform

    return platform.processor() or platform.machine()


def _ram_total_bytes() -> int | None:
    try:
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):
        return None
