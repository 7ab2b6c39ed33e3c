"""Kedro datasets for the offline sources (sample generator files and real downloads).

Every dataset yields what ``docs/data-contracts.md`` §1 calls a *source frame*: the source's own
column labels, every value a string (empty cells as ``NA``), plus ``_source_file`` (file name) and
``_source_line`` (1-based line number, header = line 1).  Parsing and validation happen in the ETL
nodes, never here.  ``load()`` returns the whole source as one frame; ``iter_frames(options)``
yields the same rows in bounded frames (blocks of ``options.block_mb`` of a CSV file, batches of
``options.batch_rows`` flux rows), which is what the ETL uses: memory does not grow with the file.

- :class:`CsvSourceDataset` reads one file or a glob of files (e.g. the courbe-de-charge export
  split in ``df_part*.csv``).  The separator is sniffed from the header line unless given; UTF-8
  with or without BOM is the default and a block that is not valid UTF-8 is decoded as
  Windows-1252/latin-1 with a warning naming the file.  Rows with the wrong number of fields are
  not dropped silently: they are listed in ``frame.attrs["malformed_rows"]`` for the quarantine.
  Compressed or binary content (a gzip named ``.csv``...) is refused naming its format; a
  header-only file gives zero rows and a warning; a last line without its line end is marked
  (``frame.attrs["unterminated_lines"]``) so validation checks it is not cut.
- :class:`FuelFluxDataset` reads the official fuel-price flux (XML or its zip, within the
  archive limits).
- :class:`HolidaysSourceDataset` builds the public and school holidays offline from the
  ``holidays`` and ``vacances-scolaires-france`` packages, in the live APIs' column layout.

Each frame also carries ``frame.attrs["source_files"]``: per file its path, size and
modification time (``mtime_ns``), which the ETL uses to rank files (the newer file wins a key
conflict) and to skip files already ingested unchanged.
"""

from __future__ import annotations

import csv
import glob
import io
import logging
import re
import zlib
from collections.abc import Hashable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
from kedro.io import AbstractDataset, DatasetError

from data_collection_kedro.sources.archives import ArchiveLimits
from data_collection_kedro.sources.errors import SourceError
from data_collection_kedro.sources.fuel_flux import iter_fuel_flux_frames

logger = logging.getLogger(__name__)

SOURCE_FILE = "_source_file"
SOURCE_LINE = "_source_line"
MALFORMED_ROWS_ATTR = "malformed_rows"
SOURCE_HEADERS_ATTR = "source_headers"
SOURCE_FILES_ATTR = "source_files"
UNTERMINATED_ATTR = "unterminated_lines"
WARNINGS_ATTR = "warnings"
FILE_DIGESTS_ATTR = "file_digests"  # per file read to its end: what was ingested of it
BLOCK_BYTES_ATTR = "block_bytes"  # bytes of source text behind a frame (batching of files)
# files of the frame known to hold no control character (the check of each cell is skipped)
CONTROL_FREE_ATTR = "control_free"

_BOM = b"\xef\xbb\xbf"
_SEPARATORS = (";", ",", "\t", "|")
_FALLBACK_ENCODINGS = ("cp1252", "latin-1")
_NON_SPACE = re.compile(rb"\S")
_CONTROL_BYTES = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# every byte but the control ones: deleting them leaves the control bytes (a fast scan)
_NOT_CONTROL = bytes(b for b in range(256) if not _CONTROL_BYTES.match(bytes([b])))


def has_control_bytes(data: bytes) -> bool:
    """Whether ``data`` holds a control byte (NUL, ESC...; not TAB/LF/CR)."""
    return bool(data.translate(None, _NOT_CONTROL))


# magic numbers of the formats a CSV download is most often confused with
_BINARY_FORMATS: tuple[tuple[bytes, str], ...] = (
    (b"\x1f\x8b", "gzip-compressed"),
    (b"PK\x03\x04", "zip archive (or XLSX/ODS spreadsheet)"),
    (b"PK\x05\x06", "empty zip archive"),
    (b"BZh", "bzip2-compressed"),
    (b"\xfd7zXZ\x00", "xz-compressed"),
    (b"(\xb5/\xfd", "zstd-compressed"),
    (b"7z\xbc\xaf\x27\x1c", "7z archive"),
    (b"%PDF", "PDF document"),
    (b"PAR1", "Parquet file"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "legacy Office document (XLS)"),
    (b"\x89PNG", "PNG image"),
    (b"SQLite format 3\x00", "SQLite database"),
)


class SourceFileError(DatasetError, SourceError):
    """A whole source file is unreadable (missing, empty, binary, no header)."""


@dataclass(frozen=True)
class ReadOptions:
    """How much of a source is held at once (the ``etl.reading`` parameters).

    Args:
        block_mb: CSV files are read in blocks of about this size (cut at a line end).
        batch_rows: rows per frame of the fuel flux.
        archive: the limits on archives (``etl.archive``).
    """

    block_mb: float = 64.0
    batch_rows: int = 200_000
    archive: ArchiveLimits = field(default_factory=ArchiveLimits)

    @classmethod
    def from_params(
        cls, reading: Mapping[str, Any] | None, archive: Mapping[str, Any] | None = None
    ) -> ReadOptions:
        values = dict(reading or {})
        return cls(
            block_mb=float(values.get("block_mb", cls.block_mb)),
            batch_rows=int(values.get("batch_rows", cls.batch_rows)),
            archive=ArchiveLimits.from_params(archive),
        )

    @property
    def block_bytes(self) -> int:
        if self.block_mb == float("inf"):
            return 1 << 62
        return max(1 << 16, int(self.block_mb * 1024 * 1024))


WHOLE_FILE = ReadOptions(block_mb=float("inf"), batch_rows=2**62)


def resolve_source_paths(filepath: str) -> list[Path]:
    """The files a path or glob pattern names, sorted; raises when none exists."""
    if any(ch in filepath for ch in "*?["):
        paths = [Path(p) for p in sorted(glob.glob(filepath))]
    else:
        paths = [Path(filepath)] if Path(filepath).exists() else []
    if not paths:
        raise SourceFileError(f"source file not found: {filepath}")
    return paths


def natural_key(name: str) -> tuple[tuple[int, int | str], ...]:
    """Sort key of a file name with its digit runs compared as numbers (``part10`` after
    ``part9``)."""
    return tuple(
        (0, int(part)) if part.isdigit() else (1, part) for part in re.split(r"(\d+)", name) if part
    )


def oldest_first(paths: list[Path]) -> list[Path]:
    """Files from the oldest to the newest: modification time, then natural name order."""
    return sorted(paths, key=lambda p: (p.stat().st_mtime_ns, natural_key(p.name)))


def file_info(path: Path) -> dict[str, Any]:
    """What identifies a version of a file: path, size and modification time (ns)."""
    stat = path.stat()
    return {"path": str(path), "size": int(stat.st_size), "mtime_ns": int(stat.st_mtime_ns)}


def binary_format(head: bytes) -> str | None:
    """The name of a compressed/binary format ``head`` starts with, or ``None`` for text."""
    for magic, label in _BINARY_FORMATS:
        if head.startswith(magic):
            return label
    first_line = head.split(b"\n", 1)[0]
    if _CONTROL_BYTES.search(first_line):
        return "binary content (control bytes in the header line)"
    return None


def _decode_fallback(data: bytes, name: str, warn: bool = True) -> str:
    """Bytes that are not valid UTF-8, decoded as cp1252 (else latin-1), with a warning."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        position = exc.start
    for fallback in _FALLBACK_ENCODINGS:
        try:
            text = data.decode(fallback)
        except UnicodeDecodeError:
            continue
        if not warn:
            return text
        logger.warning(
            "%s is not valid UTF-8 (byte %d): decoded as %s instead; check accented values",
            name,
            position,
            fallback,
        )
        return text
    raise AssertionError("latin-1 decodes every byte")  # pragma: no cover


def sniff_separator(header_line: str) -> str:
    """The separator used by a header line: the most frequent of ``; , TAB |``."""
    counts = {sep: header_line.count(sep) for sep in _SEPARATORS}
    best = max(counts, key=lambda sep: counts[sep])
    return best if counts[best] else ";"


def _unique_labels(labels: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for label in labels:
        if label in seen:
            seen[label] += 1
            out.append(f"{label}.{seen[label]}")
        else:
            seen[label] = 0
            out.append(label)
    return out


class _NotUtf8(Exception):
    """Internal: a block is not valid UTF-8 (the fallback decoding was used and warned)."""


def _utf8(data: bytes, encoding: str, name: str) -> bytes:
    """``data`` as UTF-8 bytes: a declared other encoding is decoded; invalid UTF-8 warns and
    raises :class:`_NotUtf8` (the file switches to the fallback decoding)."""
    if encoding.lower().replace("-", "").replace("_", "") not in ("utf8", "utf8sig"):
        return data.decode(encoding).encode("utf-8")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        _decode_fallback(data, name)
        raise _NotUtf8 from None
    return data


@dataclass
class _CsvFile:
    """One CSV file being read in blocks: its header and where the next block starts."""

    path: Path
    name: str
    sep: str | None
    encoding: str
    header: list[str] = field(default_factory=list)
    separator: str = ";"
    info: dict[str, Any] = field(default_factory=dict)
    fallback: bool = False  # a block was not valid UTF-8: the file is read as cp1252/latin-1

    def to_utf8(self, data: bytes) -> bytes:
        """A block as UTF-8 bytes (decoded from the declared encoding, or the fallback one)."""
        if not self.fallback:
            try:
                return _utf8(data, self.encoding, self.name)
            except _NotUtf8:
                self.fallback = True
        return _decode_fallback(data, self.name, warn=False).encode("utf-8")


def _records_with_csv_module(
    data: bytes, csv_file: _CsvFile, first_line: int, unterminated: bool
) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    """Exact line numbers when the fast reader cannot give them (blank lines, bad rows)."""
    header = csv_file.header
    reader = csv.reader(io.StringIO(data.decode("utf-8"), newline=""), delimiter=csv_file.separator)
    rows: list[list[str]] = []
    lines: list[int] = []
    malformed: list[dict[str, Any]] = []
    start = first_line
    last_line = first_line + data.count(b"\n") - (0 if unterminated else 1)
    for record in reader:
        line = first_line + reader.line_num - 1
        if not record or record == [""]:
            start = line + 1
            continue
        if len(record) != len(header):
            reason = f"expected {len(header)} fields, found {len(record)}"
            if unterminated and line == last_line:
                reason = f"incomplete last line (no line end after it, file cut?): {reason}"
            malformed.append(
                {
                    "source_file": csv_file.name,
                    "source_line": start,
                    "text": csv_file.separator.join(record),
                    "reason": reason,
                }
            )
        else:
            rows.append(record)
            lines.append(start)
        start = line + 1
    frame = pd.DataFrame(rows, columns=header, dtype="str")
    frame = frame.replace("", pd.NA) if len(frame) else frame
    frame[SOURCE_LINE] = pd.Series(lines, dtype="int64")
    return frame, malformed


def _parse_block(
    data: bytes, csv_file: _CsvFile, first_line: int, unterminated: bool
) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    """The records of ``data`` (lines from ``first_line`` on, no header): Arrow's
    multi-threaded reader, or the csv module when exact line numbers need it."""
    header = csv_file.header
    malformed_seen: list[str] = []

    def _on_invalid(row: Any) -> str:
        malformed_seen.append(row.text)
        return "skip"

    table = pacsv.read_csv(
        pa.BufferReader(data),
        read_options=pacsv.ReadOptions(column_names=header),
        parse_options=pacsv.ParseOptions(
            delimiter=csv_file.separator, invalid_row_handler=_on_invalid
        ),
        convert_options=pacsv.ConvertOptions(
            column_types=dict.fromkeys(header, pa.string()),
            # one definition of a null for every reader: an empty cell (the ``etl.nulls``
            # parameters may add tokens, applied in validation, whatever the reader)
            null_values=[""],
            strings_can_be_null=True,
            quoted_strings_can_be_null=True,
        ),
    )
    # one record per line: row i is line first_line + i; otherwise (blank lines, quoted line
    # breaks, malformed rows) the csv module gives the exact lines
    lines = data.count(b"\n") + (1 if unterminated else 0)
    if malformed_seen or table.num_rows != lines:
        return _records_with_csv_module(data, csv_file, first_line, unterminated)
    frame = table.to_pandas()
    frame[SOURCE_LINE] = np.arange(first_line, first_line + len(frame), dtype=np.int64)
    return frame, []


def _open_header(handle: Any, csv_file: _CsvFile, block_bytes: int) -> bytes:
    """Read and check the start of a file; returns the bytes after its header line."""
    name = csv_file.name
    head = handle.read(min(block_bytes, 1 << 20))
    if head.startswith(_BOM):
        head = head[len(_BOM) :]
    label = binary_format(head)
    if label:
        raise SourceFileError(
            f"{name}: {label}, not a CSV text file (first bytes {head[:8]!r}); "
            "decompress or convert it first"
        )
    while b"\n" not in head:
        more = handle.read(1 << 20)
        if not more:
            break
        head += more
    if _NON_SPACE.search(head) is None:
        raise SourceFileError(f"{name}: file is empty (expected a header line and records)")
    end = head.find(b"\n")
    header_bytes, rest = (head, b"") if end < 0 else (head[:end], head[end + 1 :])
    header_line = csv_file.to_utf8(header_bytes).decode("utf-8").rstrip("\r")
    csv_file.separator = csv_file.sep or sniff_separator(header_line)
    csv_file.header = _unique_labels(next(csv.reader([header_line], delimiter=csv_file.separator)))
    return rest


def _cut(data: bytes) -> int:
    """End (exclusive) of the last complete record in ``data``: after the last line end that
    is outside a quoted field (even number of quotes before it); 0 when there is none."""
    cut = data.rfind(b"\n")
    while cut >= 0 and data.count(b'"', 0, cut) % 2:
        cut = data.rfind(b"\n", 0, cut)
    return cut + 1


@dataclass(frozen=True)
class Region:
    """Where to resume reading a file that grew: the byte after the last line already
    ingested, that line's number + 1, and the CRC-32 of the bytes before it."""

    start: int
    first_line: int
    crc32: int


def iter_csv_frames(
    path: Path,
    sep: str | None = None,
    encoding: str = "utf-8",
    block_bytes: int | None = None,
    region: Region | None = None,
) -> Iterator[pd.DataFrame]:
    """One CSV file (or, with ``region``, its lines from ``region.start``) as all-string
    source frames of about ``block_bytes`` each (the whole file when ``None``), with their
    malformed rows, header and file identity in ``attrs``; the last frame also carries the
    file's digest (``attrs["file_digests"]``: size, mtime, CRC-32 and length of the bytes
    read up to the last line end, that line's number).

    Blocks are cut after a line end outside quotes; the next block is read ahead, so the last
    frame always holds the last line together with the lines before it.

    Raises:
        SourceFileError: the file is missing, empty, compressed or binary, or unreadable.
    """
    csv_file = _CsvFile(path, path.name, sep, encoding)
    size = block_bytes or -1
    try:
        csv_file.info = file_info(path)
        handle = open(path, "rb")  # noqa: SIM115  (closed below; the generator may pause)
    except OSError as exc:
        raise SourceFileError(f"{path}: cannot read source file ({exc})") from exc
    try:
        pending = _open_header(handle, csv_file, block_bytes or (1 << 20))
        consumed = handle.tell() - len(pending)  # file offset of `pending`
        handle.seek(0)
        crc = zlib.crc32(handle.read(consumed))
        handle.seek(consumed + len(pending))
        first_line = 2
        if region is not None and region.start > consumed:
            handle.seek(region.start)
            pending, consumed, first_line, crc = b"", region.start, region.first_line, region.crc32
        chunk = handle.read(size)
        while True:
            ahead = handle.read(size) if chunk else b""
            data = pending + chunk
            if not ahead:  # the last block: everything left
                unterminated = bool(data) and not data.endswith(b"\n")
                frame = _frame_of_block(data, csv_file, first_line, unterminated)
                complete = data.rfind(b"\n") + 1  # the lines ending with a line end
                frame.attrs[FILE_DIGESTS_ATTR] = {
                    csv_file.name: {
                        **csv_file.info,
                        "crc32": zlib.crc32(data[:complete], crc),
                        "bytes": consumed + complete,
                        "lines": first_line + data.count(b"\n", 0, complete) - 1,
                    }
                }
                yield frame
                return
            cut = _cut(data)
            if cut:
                data, pending = data[:cut], data[cut:]
                yield _frame_of_block(data, csv_file, first_line, False)
                first_line += data.count(b"\n")
                crc = zlib.crc32(data, crc)
                consumed += len(data)
            else:  # no complete record yet (one record longer than a block): read on
                pending = data
            chunk = ahead
    except (UnicodeDecodeError, pa.ArrowInvalid) as exc:
        raise SourceFileError(f"{csv_file.name}: unreadable CSV ({exc})") from exc
    finally:
        handle.close()


def file_crc32(path: Path, length: int | None = None) -> int:
    """CRC-32 of the first ``length`` bytes of ``path`` (all of them when ``None``)."""
    crc = 0
    left = length
    with open(path, "rb") as handle:
        while left is None or left > 0:
            chunk = handle.read(16 << 20 if left is None else min(16 << 20, left))
            if not chunk:
                break
            crc = zlib.crc32(chunk, crc)
            if left is not None:
                left -= len(chunk)
    return crc


def _frame_of_block(
    data: bytes, csv_file: _CsvFile, first_line: int, unterminated: bool
) -> pd.DataFrame:
    name = csv_file.name
    if data.strip():
        frame, malformed = _parse_block(csv_file.to_utf8(data), csv_file, first_line, unterminated)
    else:
        frame = pd.DataFrame({c: pd.Series(dtype="str") for c in csv_file.header})
        frame[SOURCE_LINE] = pd.Series(dtype="int64")
        malformed = []
        if first_line == 2:
            warning = f"{name}: header only, no records (0 rows ingested)"
            logger.warning(warning)
            frame.attrs[WARNINGS_ATTR] = [warning]
    frame.insert(len(frame.columns) - 1, SOURCE_FILE, name)
    frame[SOURCE_FILE] = frame[SOURCE_FILE].astype("str")
    if malformed:
        logger.warning("%s: %d malformed row(s) set aside for quarantine", name, len(malformed))
    frame.attrs[SOURCE_HEADERS_ATTR] = {name: csv_file.header}
    frame.attrs[MALFORMED_ROWS_ATTR] = malformed
    frame.attrs[SOURCE_FILES_ATTR] = {name: csv_file.info}
    frame.attrs[BLOCK_BYTES_ATTR] = len(data)
    frame.attrs[CONTROL_FREE_ATTR] = {name: not has_control_bytes(data)}
    if unterminated and len(frame) and int(frame[SOURCE_LINE].iloc[-1]) >= first_line:
        frame.attrs[UNTERMINATED_ATTR] = {name: int(frame[SOURCE_LINE].iloc[-1])}
    return frame


# every byte but LF, the quote and the control bytes: deleting them leaves what a scan counts
_NOT_SCANNED = bytes(
    b for b in range(256) if b not in (0x0A, 0x22) and not _CONTROL_BYTES.match(bytes([b]))
)


def read_csv_header(
    path: Path, sep: str | None = None, encoding: str = "utf-8"
) -> tuple[list[str], str]:
    """The header labels and the separator of a CSV file (the file's checks included)."""
    csv_file = _CsvFile(path, path.name, sep, encoding)
    try:
        with open(path, "rb") as handle:
            _open_header(handle, csv_file, 1 << 20)
    except OSError as exc:
        raise SourceFileError(f"{path}: cannot read source file ({exc})") from exc
    return csv_file.header, csv_file.separator


@dataclass(frozen=True)
class CsvScan:
    """One pass over a CSV file: what decides how it can be read, and its identity.

    ``header``/``separator`` as the reader sees them; ``lines``: lines after the header line;
    ``quotes``, ``control``: whether a ``"`` or a control byte occurs; ``terminated``: a line
    end after the last line; ``crc32``: checksum of the bytes;
    ``size`` and ``mtime_ns`` of the file when scanned.
    """

    path: Path
    header: tuple[str, ...]
    separator: str
    lines: int
    quotes: bool
    control: bool
    terminated: bool
    crc32: int
    size: int
    mtime_ns: int

    @property
    def name(self) -> str:
        return self.path.name


def scan_csv(path: Path, sep: str | None = None, encoding: str = "utf-8") -> CsvScan:
    """Scan ``path`` in one pass of 16 MB chunks (one ``translate``, one CRC-32: several
    hundred MB/s).

    Raises:
        SourceFileError: the file is missing, empty, compressed or binary.
    """
    csv_file = _CsvFile(path, path.name, sep, encoding)
    try:
        info = file_info(path)
        handle = open(path, "rb")  # noqa: SIM115
    except OSError as exc:
        raise SourceFileError(f"{path}: cannot read source file ({exc})") from exc
    with handle:
        _open_header(handle, csv_file, 1 << 20)
        handle.seek(0)
        crc = 0
        newline_count = 0
        quotes = control = False
        last = b""
        while chunk := handle.read(16 << 20):
            crc = zlib.crc32(chunk, crc)
            scanned = chunk.translate(None, _NOT_SCANNED)
            newlines = scanned.count(b"\n")
            newline_count += newlines
            quotes = quotes or b'"' in scanned
            control = control or len(scanned) > newlines + scanned.count(b'"')
            last = chunk[-1:]
    terminated = last == b"\n"
    return CsvScan(
        path=path,
        header=tuple(csv_file.header),
        separator=csv_file.separator,
        # physical lines after the header (a last line without line end counts)
        lines=max(newline_count - 1, 0) + (0 if terminated or newline_count == 0 else 1),
        quotes=quotes,
        control=control,
        terminated=terminated,
        crc32=crc,
        size=int(info["size"]),
        mtime_ns=int(info["mtime_ns"]),
    )


def read_csv_source(
    path: Path, sep: str | None = None, encoding: str = "utf-8"
) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    """One CSV file as one all-string source frame, plus its malformed rows (wrong field
    count)."""
    frame = concat_source_frames(list(iter_csv_frames(path, sep, encoding)))
    return frame, frame.attrs[MALFORMED_ROWS_ATTR]


_MERGED_ATTRS = (
    SOURCE_HEADERS_ATTR,
    SOURCE_FILES_ATTR,
    UNTERMINATED_ATTR,
    CONTROL_FREE_ATTR,
    FILE_DIGESTS_ATTR,
)
_SUMMED_ATTRS = (BLOCK_BYTES_ATTR,)
_LISTED_ATTRS = (MALFORMED_ROWS_ATTR, WARNINGS_ATTR)


def concat_source_frames(
    frames: list[pd.DataFrame], malformed: list[dict[str, Any]] | None = None
) -> pd.DataFrame:
    """Concatenate source frames, keeping each file's header, identity, unterminated last line
    and malformed rows in ``attrs``."""
    merged: dict[str, dict[str, Any]] = {name: {} for name in _MERGED_ATTRS}
    listed: dict[str, list[Any]] = {name: [] for name in _LISTED_ATTRS}
    summed = {name: sum(int(f.attrs.get(name) or 0) for f in frames) for name in _SUMMED_ATTRS}
    for frame in frames:
        for name in _MERGED_ATTRS:
            merged[name].update(frame.attrs.get(name) or {})
        for name in _LISTED_ATTRS:
            listed[name].extend(frame.attrs.get(name) or [])
        frame.attrs = {}
    listed[MALFORMED_ROWS_ATTR].extend(malformed or [])
    result = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    attrs: dict[Hashable, Any] = {}
    attrs.update(merged)
    attrs.update(listed)
    attrs.update(summed)
    result.attrs = attrs
    return result


class _FileSourceDataset(AbstractDataset[None, pd.DataFrame]):
    """A read-only source of one file or a glob of files."""

    def __init__(self, filepath: str) -> None:
        self._filepath = str(filepath)

    def save(self, data: None) -> None:
        raise DatasetError(f"{type(self).__name__} is a read-only source ({self._filepath})")

    def _exists(self) -> bool:
        try:
            return bool(resolve_source_paths(self._filepath))
        except SourceFileError:
            return False

    def _describe(self) -> dict[str, Any]:
        return {"filepath": self._filepath}

    def files(self) -> list[Path]:
        """The files the dataset reads now (sorted)."""
        return resolve_source_paths(self._filepath)

    def load(self) -> pd.DataFrame:
        return concat_source_frames(list(self.iter_frames(WHOLE_FILE)))

    def iter_frames(
        self,
        options: ReadOptions = WHOLE_FILE,
        paths: list[Path] | None = None,
        regions: Mapping[str, Region] | None = None,
    ) -> Iterator[pd.DataFrame]:
        """The rows of ``paths`` (default: every file; of a file named in ``regions``, only
        the lines after the region's start) in bounded frames.

        Files are read from the oldest to the newest (a newer file's rows are validated and
        stored after an older one's); consecutive small files share a frame of at most
        ``options.block_mb`` (a key repeated across them is resolved inside the frame, see
        ``Table.precedence``).
        """
        pending: list[pd.DataFrame] = []
        size = 0
        for path in oldest_first(self.files() if paths is None else list(paths)):
            last: pd.DataFrame | None = None
            for frame in self._iter_file(path, options, (regions or {}).get(path.name)):
                block = int(frame.attrs.get(BLOCK_BYTES_ATTR) or 0)
                if pending and size + block > options.block_bytes:
                    yield concat_source_frames(pending)
                    pending, size = [], 0
                pending.append(frame)
                size += block
                last = frame
            if last is not None and FILE_DIGESTS_ATTR not in last.attrs:
                info = file_info(path)
                last.attrs[FILE_DIGESTS_ATTR] = {
                    path.name: {**info, "crc32": file_crc32(path), "bytes": 0, "lines": 0}
                }
        if pending:
            yield concat_source_frames(pending)

    def _iter_file(
        self, path: Path, options: ReadOptions, region: Region | None = None
    ) -> Iterator[pd.DataFrame]:
        raise NotImplementedError


class CsvSourceDataset(_FileSourceDataset):
    """A CSV source (one file or a glob) loaded as an all-string source frame.

    Args:
        filepath: a file path or a glob pattern (``.../df_part*.csv``); files are read in
            sorted order and concatenated.
        sep: the field separator; ``None`` (default) sniffs it from each file's header line.
        encoding: the expected encoding (UTF-8, BOM or not, by default).  A file that is not
            valid UTF-8 is decoded as Windows-1252/latin-1 and a warning names it.
    """

    def __init__(self, filepath: str, sep: str | None = None, encoding: str = "utf-8") -> None:
        super().__init__(filepath)
        self._sep = sep
        self._encoding = encoding

    def _iter_file(
        self, path: Path, options: ReadOptions, region: Region | None = None
    ) -> Iterator[pd.DataFrame]:
        block = None if options.block_mb == float("inf") else options.block_bytes
        yield from iter_csv_frames(path, self._sep, self._encoding, block, region)

    @property
    def sep(self) -> str | None:
        return self._sep

    @property
    def encoding(self) -> str:
        return self._encoding

    def _describe(self) -> dict[str, Any]:
        return {**super()._describe(), "sep": self._sep, "encoding": self._encoding}


class FuelFluxDataset(_FileSourceDataset):
    """The official fuel-price flux (``PrixCarburants_*.xml`` or its zip) as a flat source frame.

    One row per ``<prix>`` and per ``<rupture>`` (see
    :func:`~data_collection_kedro.sources.fuel_flux.read_fuel_flux_xml`); ``_source_line`` is
    the line of the element in the XML file.  ``filepath`` may be a glob (several snapshots,
    read in sorted order).  A zip is read within the archive limits of the read options.
    """

    def _iter_file(
        self, path: Path, options: ReadOptions, region: Region | None = None
    ) -> Iterator[pd.DataFrame]:
        info = file_info(path)  # a flux is read whole (a region is a CSV's)
        for frame in iter_fuel_flux_frames(
            path, source_name=path.name, limits=options.archive, batch_rows=options.batch_rows
        ):
            frame.attrs[SOURCE_FILES_ATTR] = {path.name: info}
            frame.attrs[BLOCK_BYTES_ATTR] = 200 * len(frame)  # about a row's XML
            yield frame


# Column layout of the live holiday sources (etalab jours-feries, Éducation nationale
# fr-en-calendrier-scolaire); a holidays source frame is the union of both.
PUBLIC_HOLIDAY_COLUMNS = ["date", "annee", "zone", "nom_jour_ferie"]
SCHOOL_HOLIDAY_COLUMNS = [
    "description",
    "population",
    "start_date",
    "end_date",
    "location",
    "zones",
    "annee_scolaire",
]
_PARIS = ZoneInfo("Europe/Paris")


def _paris_midnight_iso(day: date) -> str:
    return datetime(day.year, day.month, day.day, tzinfo=_PARIS).isoformat()


def _school_year(day: date) -> str:
    first = day.year if day.month >= 8 else day.year - 1
    return f"{first}-{first + 1}"


def build_holidays_frame(start_year: int, end_year: int) -> pd.DataFrame:
    """Public (France, métropole) and school holidays (zones A/B/C) from the offline packages.

    Public rows fill ``date, annee, zone, nom_jour_ferie``; school rows fill the
    fr-en-calendrier-scolaire columns, with ``start_date`` = first day off and ``end_date`` =
    the day classes resume (both at 00:00 Europe/Paris), as the live dataset does.
    """
    import holidays
    from vacances_scolaires_france import SchoolHolidayDates

    records: list[dict[str, Any]] = []
    years = range(start_year, end_year + 1)
    public = holidays.country_holidays("FR", years=years, language="fr")
    for day, holiday_name in sorted(public.items()):
        records.append(
            {"date": day.isoformat(), "annee": str(day.year), "zone": "Métropole"}
            | {"nom_jour_ferie": holiday_name}
        )
    school = SchoolHolidayDates()
    for zone in ("A", "B", "C"):
        # whole holidays from the package's full range, kept when they touch the year range
        # (a Christmas holiday starting in December of start_year - 1 is kept whole)
        days = sorted(
            (d, info["nom_vacances"])
            for d, info in school.data.items()
            if info[f"vacances_zone_{zone.lower()}"]
        )
        run_start: date | None = None
        previous: tuple[date, str] | None = None
        for day, holiday_name in [*days, (date.max, "")]:
            if previous and (day - previous[0] != timedelta(days=1) or holiday_name != previous[1]):
                assert run_start is not None
                if previous[0].year < start_year or run_start.year > end_year:
                    run_start = None
                    previous = (day, holiday_name)
                    continue
                records.append(
                    {
                        "description": previous[1],
                        "population": "-",
                        "start_date": _paris_midnight_iso(run_start),
                        "end_date": _paris_midnight_iso(previous[0] + timedelta(days=1)),
                        "location": f"Zone {zone}",
                        "zones": f"Zone {zone}",
                        "annee_scolaire": _school_year(run_start),
                    }
                )
                run_start = None
            if run_start is None:
                run_start = day
            previous = (day, holiday_name)
    frame = pd.DataFrame.from_records(
        records, columns=PUBLIC_HOLIDAY_COLUMNS + SCHOOL_HOLIDAY_COLUMNS
    ).astype("str")
    frame[SOURCE_FILE] = HOLIDAYS_FRAME_NAME
    frame[SOURCE_LINE] = pd.RangeIndex(1, len(frame) + 1).to_numpy(dtype="int64")
    frame.attrs[FILE_DIGESTS_ATTR] = {
        HOLIDAYS_FRAME_NAME: generated_digest(holidays_recipe(start_year, end_year), len(frame))
    }
    return frame


#: the ``_source_file`` (and ``ingested_files`` name) of the holidays built offline
HOLIDAYS_FRAME_NAME = "holidays+vacances-scolaires-france"


def holidays_recipe(start_year: int, end_year: int) -> str:
    """What :func:`build_holidays_frame`'s rows are a function of: the two packages' versions,
    the year range and the function's own code (its rows change only with one of them)."""
    import inspect
    from importlib.metadata import version

    code = inspect.getsource(build_holidays_frame).encode()
    return "; ".join(
        (
            f"holidays {version('holidays')}",
            f"vacances-scolaires-france {version('vacances-scolaires-france')}",
            f"years {start_year}-{end_year}",
            f"code {zlib.crc32(code)}",
        )
    )


def generated_digest(recipe: str, rows: int | None) -> dict[str, Any]:
    """The ``ingested_files`` figures of a generated source (no file behind it): the CRC-32 of
    the ``recipe`` its rows are a function of, and its ``rows`` (``None`` before it is built),
    so that a run can skip a source built as the one it ingested without building it
    (``ingestion_files.Manifest.unchanged``)."""
    crc = zlib.crc32(recipe.encode())
    return {"size": rows, "mtime_ns": 0, "crc32": crc, "bytes": 0, "lines": rows}


class HolidaysSourceDataset(AbstractDataset[None, pd.DataFrame]):
    """French public and school holidays built offline from maintained packages.

    Args:
        start_year, end_year: inclusive calendar-year range (school holidays are known by
            ``vacances-scolaires-france`` up to its own last year).
    """

    def __init__(self, start_year: int = 2012, end_year: int = 2027) -> None:
        if start_year > end_year:
            raise DatasetError(f"start_year {start_year} is after end_year {end_year}")
        self._start_year = int(start_year)
        self._end_year = int(end_year)

    def load(self) -> pd.DataFrame:
        return build_holidays_frame(self._start_year, self._end_year)

    def generated_digests(self) -> dict[str, dict[str, Any]]:
        """The ``ingested_files`` figures of what :meth:`load` would build, without building
        it (:func:`generated_digest`; the rows are not known before)."""
        recipe = holidays_recipe(self._start_year, self._end_year)
        return {HOLIDAYS_FRAME_NAME: generated_digest(recipe, None)}

    def save(self, data: None) -> None:
        raise DatasetError(f"{type(self).__name__} is a read-only source")

    def _describe(self) -> dict[str, Any]:
        return {"start_year": self._start_year, "end_year": self._end_year}
