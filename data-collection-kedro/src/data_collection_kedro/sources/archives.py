"""Reading a member of a zip archive within limits (a zip bomb fails fast, in bounded memory).

A source archive (the fuel flux ``PrixCarburants_instantane.zip``, offline or downloaded) is
checked before anything is decompressed, then read as a stream of chunks:

- the archive itself is at most ``max_archive_mb``;
- at most ``max_members`` members, each named like one of ``members`` (``fnmatch`` patterns) —
  no directory entry, no absolute path, no ``..`` component, no drive letter or backslash;
- the declared uncompressed total is at most ``max_uncompressed_mb`` and at most ``max_ratio``
  times the compressed size;
- while streaming, the bytes actually produced are counted against the same two limits (a
  header may lie about the sizes).

Every refusal is an :class:`ArchiveError` naming the file, the limit and the value found. The
limits are the ``etl.archive`` parameters (``conf/base/parameters_etl_pipeline.yml``).
"""

from __future__ import annotations

import fnmatch
import io
import re
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from data_collection_kedro.sources.errors import SourceError

_MB = 1024 * 1024
ZIP_MAGIC = b"PK\x03\x04"
_EMPTY_ZIP_MAGIC = b"PK\x05\x06"
_DRIVE = re.compile(r"^[A-Za-z]:")


class ArchiveError(SourceError, ValueError):
    """An archive is refused: corrupt, unexpected members or beyond a limit."""


@dataclass(frozen=True)
class ArchiveLimits:
    """What an archive may hold (defaults: the real flux is ~1 MB, ratio ~13, one member).

    Args:
        max_archive_mb: size of the archive file (or download).
        max_uncompressed_mb: total uncompressed size of its members.
        max_ratio: uncompressed / compressed size.
        max_members: number of members.
        members: ``fnmatch`` patterns of the expected member names.
        chunk_kb: size of the chunks the members are read in.
    """

    max_archive_mb: float = 64.0
    max_uncompressed_mb: float = 256.0
    max_ratio: float = 50.0
    max_members: int = 1
    members: tuple[str, ...] = ("PrixCarburants_*.xml",)
    chunk_kb: int = 1024

    @classmethod
    def from_params(cls, params: Mapping[str, Any] | None) -> ArchiveLimits:
        """The limits of the ``etl.archive`` parameters (missing ones keep their default)."""
        values = dict(params or {})
        if "members" in values:
            values["members"] = tuple(str(m) for m in values["members"])
        unknown = set(values) - set(cls.__dataclass_fields__)
        if unknown:
            raise ValueError(f"unknown etl.archive parameter(s) {sorted(unknown)}")
        return cls(**values)

    @property
    def max_archive_bytes(self) -> int:
        return int(self.max_archive_mb * _MB)

    @property
    def max_uncompressed_bytes(self) -> int:
        return int(self.max_uncompressed_mb * _MB)

    @property
    def chunk_bytes(self) -> int:
        return int(self.chunk_kb * 1024)


def is_zip(head: bytes) -> bool:
    return head.startswith((ZIP_MAGIC, _EMPTY_ZIP_MAGIC))


def unsafe_member_name(name: str) -> str | None:
    """Why a member name is refused (``None`` when it is a plain relative file name)."""
    if not name or name.endswith(("/", "\\")):
        return "a directory entry"
    if name.startswith(("/", "\\")) or _DRIVE.match(name):
        return "an absolute path"
    if "\\" in name:
        return "a backslash in the name"
    if ".." in name.split("/"):
        return "a '..' component"
    return None


def _check_members(
    archive: zipfile.ZipFile, compressed: int, name: str, limits: ArchiveLimits
) -> list[zipfile.ZipInfo]:
    members = archive.infolist()
    names = [m.filename for m in members]
    if not members:
        raise ArchiveError(f"{name}: the archive is empty (expected {list(limits.members)})")
    if len(members) > limits.max_members:
        raise ArchiveError(
            f"{name}: {len(members)} members, limit max_members={limits.max_members} "
            f"(expected {list(limits.members)}; found {names[:10]})"
        )
    for member in members:
        why = unsafe_member_name(member.filename)
        if why:
            raise ArchiveError(f"{name}: member {member.filename!r} refused: {why}")
        if not any(fnmatch.fnmatchcase(member.filename, p) for p in limits.members):
            raise ArchiveError(
                f"{name}: unexpected member {member.filename!r} (expected a name like "
                f"{list(limits.members)})"
            )
    declared = sum(m.file_size for m in members)
    _check_sizes(declared, compressed, name, limits, "declared")
    return members


def _check_sizes(
    uncompressed: int, compressed: int, name: str, limits: ArchiveLimits, how: str
) -> None:
    if uncompressed > limits.max_uncompressed_bytes:
        raise ArchiveError(
            f"{name}: {how} uncompressed size above the limit max_uncompressed_mb="
            f"{limits.max_uncompressed_mb:g} ({uncompressed / _MB:,.1f} MB or more)"
        )
    ratio = uncompressed / max(compressed, 1)
    if ratio > limits.max_ratio:
        raise ArchiveError(
            f"{name}: {how} compression ratio {ratio:,.0f} above the limit max_ratio="
            f"{limits.max_ratio:g} ({uncompressed:,} bytes from {compressed:,})"
        )


def iter_member_chunks(
    source: bytes | Path, name: str, limits: ArchiveLimits
) -> Iterator[tuple[str, Iterator[bytes]]]:
    """``(member name, its chunks)`` for each member of the zip ``source``, within ``limits``.

    The archive is checked before any decompression; the chunks of a member are produced on
    demand and counted (a member that inflates beyond a limit fails at the first chunk past
    it, with at most one chunk in memory).
    """
    compressed = len(source) if isinstance(source, bytes) else Path(source).stat().st_size
    if compressed > limits.max_archive_bytes:
        raise ArchiveError(
            f"{name}: archive of {compressed / _MB:,.1f} MB above the limit max_archive_mb="
            f"{limits.max_archive_mb:g}"
        )
    handle: IO[bytes] = io.BytesIO(source) if isinstance(source, bytes) else open(source, "rb")  # noqa: SIM115
    try:
        try:
            archive = zipfile.ZipFile(handle)
        except (zipfile.BadZipFile, OSError, ValueError) as exc:
            raise ArchiveError(f"{name}: corrupt zip ({exc})") from exc
        with archive:
            members = _check_members(archive, compressed, name, limits)
            produced = 0

            def chunks(member: zipfile.ZipInfo) -> Iterator[bytes]:
                nonlocal produced
                try:
                    with archive.open(member) as stream:
                        while chunk := stream.read(limits.chunk_bytes):
                            produced += len(chunk)
                            _check_sizes(produced, compressed, name, limits, "actual")
                            yield chunk
                except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
                    if isinstance(exc, ArchiveError):
                        raise
                    raise ArchiveError(
                        f"{name}: member {member.filename!r} is corrupt ({exc})"
                    ) from exc

            for member in members:
                yield member.filename, chunks(member)
    finally:
        handle.close()
