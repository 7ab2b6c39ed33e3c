"""Which source files an ETL run must read: the ``ingested_files`` manifest.

Each file an ingestion reads to its end gets a row (``INGESTED_FILES`` in the registry):
its size and modification time, the CRC-32 of the bytes read up to the last line end, that
line's number and a digest of the declaration and parameters its rows were checked with. The
row is written after the file's rows (Kedro saves a node's outputs in order), so a run
stopped mid-file leaves no row and the next run reads the file again (the upsert makes it
idempotent). The next run then, per file:

- same size and modification time (or, touched, the same CRC-32): **skipped**;
- grown, its first ``bytes`` bytes unchanged (same CRC-32): **only the new lines** are read
  (a :class:`~data_collection_kedro.datasets.source_files.Region`);
- anything else (changed, or checked with other rules): read **whole**.

A source generated without files (the offline holidays) gets a row per frame too: its rows and
the CRC-32 of what its rows are a function of (the packages' versions, the year range, the
building code: ``source_files.holidays_recipe``). A source whose recipe is the last one ingested
is neither built, checked nor stored again (:meth:`Manifest.unchanged`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd

from data_collection_kedro.datasets.source_files import Region, file_crc32, file_info
from data_collection_kedro.sources.registry import INGESTED_FILES, Source


def rules_digest(source: Source, params: Mapping[str, Any]) -> str:
    """Digest of what a source's rows are checked with (its declaration and parameters)."""
    text = repr(source.tables) + json.dumps(
        {k: v for k, v in params.items() if k != "today"}, sort_keys=True, default=str
    )
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]


@dataclass
class Manifest:
    """The stored rows of one source and the decisions taken from them."""

    source: Source
    rules: str
    stamp: datetime
    known: dict[str, dict[str, Any]] = field(default_factory=dict)
    enabled: bool = True
    skipped: list[str] = field(default_factory=list)
    resumed: list[str] = field(default_factory=list)

    @classmethod
    def of(
        cls,
        source: Source,
        stored: pd.DataFrame | None,
        params: Mapping[str, Any],
        stamp: datetime,
        enabled: bool,
    ) -> Manifest:
        known: dict[str, dict[str, Any]] = {}
        if stored is not None and len(stored) and "source" in stored:
            mine = stored[stored["source"] == source.name]
            known = {
                str(row["file"]): {str(k): v for k, v in row.items()}
                for row in mine.to_dict("records")
            }
        return cls(source, rules_digest(source, params), stamp, known, enabled)

    def plan(self, paths: list[Path]) -> tuple[list[Path], dict[str, Region]]:
        """The files to read and, of those, the ones to read from a region."""
        to_read: list[Path] = []
        regions: dict[str, Region] = {}
        for path in paths:
            decision = self._decide(path)
            if decision == "skip":
                self.skipped.append(path.name)
                continue
            to_read.append(path)
            if isinstance(decision, Region):
                regions[path.name] = decision
                self.resumed.append(path.name)
        return to_read, regions

    def _decide(self, path: Path) -> str | Region | None:
        previous = self.known.get(path.name)
        if not self.enabled or previous is None or previous.get("rules") != self.rules:
            return None
        info = file_info(path)
        size, read = int(previous["size"]), int(previous["bytes"] or 0)
        if info["size"] == size and info["mtime_ns"] == int(previous["mtime_ns"]):
            return "skip"
        if info["size"] == size == read and file_crc32(path) == int(previous["crc32"]):
            return "skip"  # touched, same bytes
        if 0 < read < info["size"] and file_crc32(path, read) == int(previous["crc32"]):
            return Region(read, int(previous["lines"]) + 1, int(previous["crc32"]))
        return None

    def unchanged(self, digests: Mapping[str, Mapping[str, Any]]) -> bool:
        """Whether a generated source (no file behind it: ``digests`` are its
        ``source_files.generated_digest``, before or after it is built) has the recipe of the
        one the last run ingested (and, once built, its row count), checked with the same
        rules: it need not be built or read again."""
        if not self.enabled or not digests:
            return False
        for name, digest in digests.items():
            previous = self.known.get(name)
            if previous is None or previous.get("rules") != self.rules:
                return False
            if int(previous["crc32"]) != int(digest["crc32"]):
                return False
            if digest.get("size") is not None and int(previous["size"]) != int(digest["size"]):
                return False  # (no size: the figures of a source not built yet)
        return True

    def rows(self, digests: Mapping[str, Mapping[str, Any]]) -> pd.DataFrame:
        """``ingested_files`` rows of the files read to their end (``attrs["file_digests"]``)."""
        records = [
            {
                "source": self.source.name,
                "file": name,
                "size": int(d["size"]),
                "mtime_ns": int(d["mtime_ns"]),
                "crc32": int(d["crc32"]),
                "bytes": int(d["bytes"]),
                "lines": int(d["lines"]),
                "rules": self.rules,
                "ingested_at": pd.Timestamp(self.stamp),
            }
            for name, d in digests.items()
        ]
        frame = pd.DataFrame(records, columns=[c.name for c in INGESTED_FILES.columns])
        return frame.astype(
            {
                "source": "str",
                "file": "str",
                "size": "int64",
                "mtime_ns": "int64",
                "crc32": "int64",
                "bytes": "int64",
                "lines": "int64",
                "rules": "str",
                "ingested_at": "datetime64[us, UTC]",
            }
        )

    def of_plan(self, plan: Any) -> DeferredManifest:
        """The row of a file the store validates (known once the store has scanned it)."""
        return DeferredManifest(self, plan)


@dataclass
class DeferredManifest:
    """A file's ``ingested_files`` row, resolved when saved (after the store read it)."""

    manifest: Manifest
    plan: Any

    def resolve_frame(self) -> pd.DataFrame:
        scan = self.plan.scanned
        if scan is None:  # not executed: nothing to record
            return self.manifest.rows({})
        terminated = bool(scan.terminated)
        digest = {
            "size": scan.size,
            "mtime_ns": scan.mtime_ns,
            "crc32": scan.crc32 if terminated else 0,
            "bytes": scan.size if terminated else 0,
            "lines": scan.lines + 1,
        }
        return self.manifest.rows({scan.name: digest})
