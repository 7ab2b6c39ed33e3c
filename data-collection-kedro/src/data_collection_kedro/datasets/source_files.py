"""Kedro datasets for the offline sources (sample generator files and real downloads).

Every dataset yields what ``docs/data-contracts.md`` §1 calls a *source frame*: the source's own
column labels, every value a string (empty cells as ``NA``), plus ``_source_file`` (file name) and
``_source_line`` (1-based line number, header = line 1).  Parsing and validation happen in the ETL
nodes, never here.

- :class:`CsvSourceDataset` reads one file or a glob of files (e.g. the courbe-de-charge export
  split in ``df_part*.csv``).  The separator is sniffed from the header line unless given; UTF-8
  with or without BOM is the default and a file that is not valid UTF-8 is decoded as
  Windows-1252/latin-1 with a warning naming the file.  Rows with the wrong number of fields are
  not dropped silently: they are listed in ``frame.attrs["malformed_rows"]`` for the quarantine.
- :class:`FuelFluxDataset` reads the official fuel-price flux (XML or its zip).
- :class:`HolidaysSourceDataset` builds the public and school holidays offline from the
  ``holidays`` and ``vacances-scolaires-france`` packages, in the live APIs' column layout.
"""

from __future__ import annotations

import csv
import glob
import io
import logging
import re
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
from kedro.io import AbstractDataset, DatasetError

from data_collection_kedro.sources.fuel_flux import read_fuel_flux_xml

logger = logging.getLogger(__name__)

SOURCE_FILE = "_source_file"
SOURCE_LINE = "_source_line"
MALFORMED_ROWS_ATTR = "malformed_rows"
SOURCE_HEADERS_ATTR = "source_headers"

_BOM = b"\xef\xbb\xbf"
_SEPARATORS = (";", ",", "\t", "|")
_FALLBACK_ENCODINGS = ("cp1252", "latin-1")
_NON_SPACE = re.compile(rb"\S")


class SourceFileError(DatasetError):
    """A whole source file is unreadable (missing, empty, no header)."""


def resolve_source_paths(filepath: str) -> list[Path]:
    """The files a path or glob pattern names, sorted; raises when none exists."""
    if any(ch in filepath for ch in "*?["):
        paths = [Path(p) for p in sorted(glob.glob(filepath))]
    else:
        paths = [Path(filepath)] if Path(filepath).exists() else []
    if not paths:
        raise SourceFileError(f"source file not found: {filepath}")
    return paths


def _without_bom(raw: bytes, encoding: str) -> bytes:
    """UTF-8 bytes without BOM (files in another declared encoding are re-encoded)."""
    if raw.startswith(_BOM):
        raw = raw[len(_BOM) :]
    if encoding.lower().replace("-", "").replace("_", "") not in ("utf8", "utf8sig"):
        return raw.decode(encoding).encode("utf-8")
    return raw


def _reencode_fallback(data: bytes, name: str) -> bytes:
    """A file that is not valid UTF-8, decoded as cp1252 (else latin-1), with a warning."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        position = exc.start
    else:  # pragma: no cover - only called after a UTF-8 failure
        return data
    for fallback in _FALLBACK_ENCODINGS:
        try:
            text = data.decode(fallback)
        except UnicodeDecodeError:
            continue
        logger.warning(
            "%s is not valid UTF-8 (byte %d): decoded as %s instead; check accented values",
            name,
            position,
            fallback,
        )
        return text.encode("utf-8")
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


def _read_with_csv_module(
    data: bytes, header: list[str], sep: str, name: str
) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    """Exact line numbers when the fast reader cannot give them (blank lines, bad rows)."""
    reader = csv.reader(io.StringIO(data.decode("utf-8"), newline=""), delimiter=sep)
    rows: list[list[str]] = []
    lines: list[int] = []
    malformed: list[dict[str, Any]] = []
    next(reader, None)
    start = reader.line_num + 1
    for record in reader:
        if not record or record == [""]:
            start = reader.line_num + 1
            continue
        if len(record) != len(header):
            malformed.append(
                {
                    "source_file": name,
                    "source_line": start,
                    "text": sep.join(record),
                    "reason": f"expected {len(header)} fields, found {len(record)}",
                }
            )
        else:
            rows.append(record)
            lines.append(start)
        start = reader.line_num + 1
    frame = pd.DataFrame(rows, columns=header, dtype="str")
    frame = frame.replace("", pd.NA) if len(frame) else frame
    frame[SOURCE_LINE] = pd.Series(lines, dtype="int64")
    return frame, malformed


def read_csv_source(
    path: Path, sep: str | None = None, encoding: str = "utf-8"
) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    """One CSV file as an all-string source frame, plus its malformed rows (wrong field count)."""
    name = path.name
    try:
        data = _without_bom(path.read_bytes(), encoding)  # no second copy kept alive
    except OSError as exc:
        raise SourceFileError(f"{path}: cannot read source file ({exc})") from exc
    if _NON_SPACE.search(data) is None:
        raise SourceFileError(f"{name}: file is empty (expected a header line and records)")
    try:
        frame, malformed, header = _parse_csv(data, name, sep)
    except (UnicodeDecodeError, pa.ArrowInvalid) as exc:
        if isinstance(exc, pa.ArrowInvalid) and "utf8" not in str(exc).lower():
            raise SourceFileError(f"{name}: unreadable CSV ({exc})") from exc
        frame, malformed, header = _parse_csv(_reencode_fallback(data, name), name, sep)
    frame.insert(len(frame.columns) - 1, SOURCE_FILE, name)
    frame[SOURCE_FILE] = frame[SOURCE_FILE].astype("str")
    if malformed:
        logger.warning("%s: %d malformed row(s) set aside for quarantine", name, len(malformed))
    frame.attrs[SOURCE_HEADERS_ATTR] = {name: header}
    return frame, malformed


def _line_count(data: bytes) -> int:
    """Number of lines (a last line without newline counts)."""
    return data.count(b"\n") + (0 if data.endswith(b"\n") else 1)


def _parse_csv(
    data: bytes, name: str, sep: str | None
) -> tuple[pd.DataFrame, list[dict[str, Any]], list[str]]:
    """Arrow's multi-threaded reader; the csv module when exact line numbers need it."""
    end_of_header = data.find(b"\n")
    header_line = (data if end_of_header < 0 else data[:end_of_header]).decode("utf-8")
    header_line = header_line.rstrip("\r")
    separator = sep or sniff_separator(header_line)
    header = _unique_labels(next(csv.reader([header_line], delimiter=separator)))

    malformed_seen: list[str] = []

    def _on_invalid(row: Any) -> str:
        malformed_seen.append(row.text)
        return "skip"

    table = pacsv.read_csv(
        pa.BufferReader(data),
        read_options=pacsv.ReadOptions(column_names=header, skip_rows=1),
        parse_options=pacsv.ParseOptions(delimiter=separator, invalid_row_handler=_on_invalid),
        convert_options=pacsv.ConvertOptions(
            column_types=dict.fromkeys(header, pa.string()),
            strings_can_be_null=True,
            quoted_strings_can_be_null=True,
        ),
    )
    # one record per line after the header: row i is line i + 2; otherwise (blank lines,
    # quoted line breaks, malformed rows) the csv module gives the exact lines
    if malformed_seen or table.num_rows != _line_count(data) - 1:
        frame, malformed = _read_with_csv_module(data, header, separator, name)
        return frame, malformed, header
    frame = table.to_pandas()
    frame[SOURCE_LINE] = np.arange(2, len(frame) + 2, dtype=np.int64)
    return frame, [], header


def concat_source_frames(
    frames: list[pd.DataFrame], malformed: list[dict[str, Any]]
) -> pd.DataFrame:
    """Concatenate per-file frames, keeping each file's header and malformed rows in ``attrs``."""
    headers: dict[str, list[str]] = {}
    for frame in frames:
        headers.update(frame.attrs.get(SOURCE_HEADERS_ATTR, {}))
        frame.attrs = {}
    result = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    result.attrs[SOURCE_HEADERS_ATTR] = headers
    result.attrs[MALFORMED_ROWS_ATTR] = malformed
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

    def load(self) -> pd.DataFrame:
        frames: list[pd.DataFrame] = []
        malformed: list[dict[str, Any]] = []
        for path in resolve_source_paths(self._filepath):
            frame, bad = read_csv_source(path, self._sep, self._encoding)
            frames.append(frame)
            malformed.extend(bad)
        return concat_source_frames(frames, malformed)

    def _describe(self) -> dict[str, Any]:
        return {**super()._describe(), "sep": self._sep, "encoding": self._encoding}


class FuelFluxDataset(_FileSourceDataset):
    """The official fuel-price flux (``PrixCarburants_*.xml`` or its zip) as a flat source frame.

    One row per ``<prix>`` and per ``<rupture>`` (see :func:`read_fuel_flux_xml`);
    ``_source_line`` is the line of the element in the XML file.  ``filepath`` may be a glob
    (several snapshots, read in sorted order).
    """

    def load(self) -> pd.DataFrame:
        frames = [
            read_fuel_flux_xml(path, source_name=path.name)
            for path in resolve_source_paths(self._filepath)
        ]
        return concat_source_frames(frames, [])


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
    frame[SOURCE_FILE] = "holidays+vacances-scolaires-france"
    frame[SOURCE_LINE] = pd.RangeIndex(1, len(frame) + 1).to_numpy(dtype="int64")
    return frame


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

    def save(self, data: None) -> None:
        raise DatasetError(f"{type(self).__name__} is a read-only source")

    def _describe(self) -> dict[str, Any]:
        return {"start_year": self._start_year, "end_year": self._end_year}
