"""Usage analytics files (YAML or CSV): ``day, profile, requests`` + optional sizes.

YAML::

    analytics:                      # or a top-level list
      - {day: 2024-05-01, profile: chatbot_llm_8b, requests: 1200, mean_output_tokens: 180}

CSV (``,`` or ``;``)::

    day,profile,requests,mean_input_tokens,mean_output_tokens
    2024-05-01,chatbot_llm_8b,1200,,180

Everything happens in memory (the bytes in, a frame out): analytics can be sensitive and are
never written anywhere. Every problem is reported with its row (CSV line or YAML entry), the
field and what was expected.

Hostile files are refused with bounded work: YAML nesting deeper than :data:`MAX_YAML_DEPTH`
is refused from the parser's event stream before any object is built (the C parser would
overflow its stack, the Python one raise ``RecursionError``); values must be scalars (a list or
mapping, e.g. behind a YAML alias, is refused without being printed); every value echoed in a
message is cut to :data:`MAX_SHOWN_CHARS` characters; at most :data:`MAX_COLLECTED_PROBLEMS`
problems are collected; an optional ``deadline`` (``time.monotonic()`` value) stops the row
loop of a file that takes too long.
"""

from __future__ import annotations

import csv
import io
import math
import time
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd
import yaml

from data_collection_kedro.usage.config import Limits, UsageConfig

REQUIRED_COLUMNS = ("day", "profile", "requests")
SIZE_COLUMNS = ("mean_input_tokens", "mean_output_tokens")
ANALYTICS_COLUMNS = (*REQUIRED_COLUMNS, *SIZE_COLUMNS)
MAX_REPORTED_PROBLEMS = 20
MAX_COLLECTED_PROBLEMS = 100  # further problems are counted, not described
MAX_SHOWN_CHARS = 60  # longest value echoed in a message
MAX_SHOWN_COLUMNS = 10  # unexpected column names listed in a message
MAX_YAML_DEPTH = 8  # the format needs 3 (mapping → list of rows → row)
DEADLINE_CHECK_ROWS = 1000  # rows between two deadline checks
SCALAR_TYPES = (str, int, float, bool, date, datetime)


class AnalyticsError(ValueError):
    """The analytics cannot be used; ``problems`` lists each issue, ``kind`` classifies them.

    ``kind``: ``malformed`` (not readable as YAML/CSV of rows), ``too_large`` (size/row limit),
    ``too_slow`` (the deadline passed), ``invalid`` (rows readable but values wrong: negative
    counts, unknown profile, …). ``problems`` holds at most :data:`MAX_REPORTED_PROBLEMS`
    descriptions; ``uncounted`` is the number of further problems.
    """

    def __init__(
        self, source: str, problems: Sequence[str], kind: str = "invalid", more: int = 0
    ) -> None:
        self.source = source
        self.kind = kind
        self.problems = list(problems[:MAX_REPORTED_PROBLEMS])
        self.uncounted = more + max(0, len(problems) - MAX_REPORTED_PROBLEMS)
        suffix = f"; … and {self.uncounted} more" if self.uncounted else ""
        super().__init__(f"{source}: {'; '.join(self.problems)}{suffix}")


def shown(value: Any, limit: int = MAX_SHOWN_CHARS) -> str:
    """``repr`` of a scalar cut to ``limit`` characters; a list or mapping is named, never
    printed (a YAML alias can make a tiny file hold an exponentially large structure)."""
    if isinstance(value, bytes | bytearray):
        return f"binary data ({len(value)} bytes)"
    if not _is_scalar(value):
        return f"a {_kind(value)}"
    if isinstance(value, str) and len(value) > limit:
        return repr(value[:limit]) + f"… ({len(value)} characters)"
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 200:
        return f"a {len(str(abs(value)))}-digit number"
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + f"… ({len(text)} characters)"


def cut(text: str, limit: int = MAX_SHOWN_CHARS) -> str:
    """``text`` cut to ``limit`` characters (an ellipsis marks the cut)."""
    return text if len(text) <= limit else text[:limit] + "…"


def _is_scalar(value: Any) -> bool:
    return (
        value is None
        or isinstance(value, SCALAR_TYPES)
        or (isinstance(value, np.generic) and not isinstance(value, np.void | np.bytes_))
    )


def _kind(value: Any) -> str:
    if isinstance(value, Mapping):
        return "mapping"
    if isinstance(value, list | tuple):
        return "list"
    if isinstance(value, set | frozenset):
        return "set"
    return type(value).__name__


class _Problems:
    """The problems of a file: the first :data:`MAX_COLLECTED_PROBLEMS` kept, the rest counted."""

    def __init__(self) -> None:
        self.items: list[str] = []
        self.more = 0

    def add(self, text: str) -> None:
        if len(self.items) < MAX_COLLECTED_PROBLEMS:
            self.items.append(text)
        else:
            self.more += 1

    def __bool__(self) -> bool:
        return bool(self.items)


def check_deadline(deadline: float | None, source: str) -> None:
    """:class:`AnalyticsError` (``too_slow``) once ``time.monotonic()`` passed ``deadline``."""
    if deadline is not None and time.monotonic() > deadline:
        raise AnalyticsError(
            source,
            ["the file took longer than the service's processing limit; split it"],
            "too_slow",
        )


def detect_format(filename: str | None, content_type: str | None, data: bytes) -> str:
    """``yaml`` or ``csv`` from the file name, then the content type, then the content."""
    name = (filename or "").lower()
    if name.endswith((".yaml", ".yml")):
        return "yaml"
    if name.endswith((".csv", ".txt")):
        return "csv"
    ctype = (content_type or "").lower()
    if "yaml" in ctype:
        return "yaml"
    if "csv" in ctype:
        return "csv"
    first = data.lstrip()[:200].decode("utf-8", errors="replace").split("\n", 1)[0]
    if "profile" in first and ("," in first or ";" in first) and ":" not in first:
        return "csv"
    return "yaml"


def _decode(data: bytes, source: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise AnalyticsError(
            source, [f"not UTF-8 text (byte {exc.start}); save the file as UTF-8"], "malformed"
        ) from exc


def read_rows(
    data: bytes,
    fmt: str | None = None,
    source: str = "analytics",
    filename: str | None = None,
    deadline: float | None = None,
) -> list[tuple[str, dict[str, Any]]]:
    """``(where, row)`` pairs from YAML or CSV bytes (``where`` = "line 3" / "entry 2")."""
    fmt = fmt or detect_format(filename, None, data)
    text = _decode(data, source)
    if not text.strip():
        raise AnalyticsError(
            source, ["the file is empty (expected rows of day, profile, requests)"], "malformed"
        )
    if fmt == "csv":
        return _csv_rows(text, source, deadline)
    if fmt == "yaml":
        return _yaml_rows(text, source)
    raise AnalyticsError(
        source, [f"unknown format {shown(fmt)} (expected yaml or csv)"], "malformed"
    )


def _csv_rows(text: str, source: str, deadline: float | None) -> list[tuple[str, dict[str, Any]]]:
    header_line = text.split("\n", 1)[0]
    delimiter = ";" if header_line.count(";") > header_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = [h.strip().lower() for h in next(reader)]
        rows: list[tuple[str, dict[str, Any]]] = []
        for record in reader:
            line = reader.line_num
            if line % DEADLINE_CHECK_ROWS == 0:
                check_deadline(deadline, source)
            if not record or all(not cell.strip() for cell in record):
                continue
            if len(record) != len(header):
                raise AnalyticsError(
                    source,
                    [f"line {line}: {len(record)} fields where the header has {len(header)}"],
                    "malformed",
                )
            rows.append(
                (
                    f"line {line}",
                    {h: (v.strip() or None) for h, v in zip(header, record, strict=True)},
                )
            )
    except csv.Error as exc:
        raise AnalyticsError(source, [f"unreadable CSV: {exc}"], "malformed") from exc
    return rows


def _yaml_loader() -> type:
    base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    class AnalyticsLoader(base):  # type: ignore[misc, valid-type]
        """Safe loader whose dates and integers that Python cannot build stay text (the row
        check then names the row and field instead of the parser failing without a line)."""

    def lenient(constructor: Any) -> Any:
        def construct(loader: Any, node: Any) -> Any:
            try:
                return constructor(loader, node)
            except (ValueError, OverflowError):
                return str(node.value)

        return construct

    for tag, constructor in (
        ("tag:yaml.org,2002:timestamp", yaml.SafeLoader.construct_yaml_timestamp),
        ("tag:yaml.org,2002:int", yaml.SafeLoader.construct_yaml_int),
    ):
        AnalyticsLoader.add_constructor(tag, lenient(constructor))
    return AnalyticsLoader


_YAML_LOADER = _yaml_loader()
_OPENING = (yaml.SequenceStartEvent, yaml.MappingStartEvent)
_CLOSING = (yaml.SequenceEndEvent, yaml.MappingEndEvent)


def _check_yaml_depth(text: str, source: str) -> None:
    """Refuse nesting deeper than :data:`MAX_YAML_DEPTH` from the event stream (iterative: no
    object is built, no recursion), before the loader builds the document."""
    depth = 0
    for event in yaml.parse(text, Loader=_YAML_LOADER):
        if isinstance(event, _OPENING):
            depth += 1
            if depth > MAX_YAML_DEPTH:
                line = event.start_mark.line + 1 if event.start_mark else "?"
                raise AnalyticsError(
                    source,
                    [
                        f"line {line}: lists or mappings nested more than {MAX_YAML_DEPTH} "
                        "levels deep (expected a list of rows of day, profile, requests)"
                    ],
                    "malformed",
                )
        elif isinstance(event, _CLOSING):
            depth -= 1


def _yaml_rows(text: str, source: str) -> list[tuple[str, dict[str, Any]]]:
    try:
        _check_yaml_depth(text, source)
        data = yaml.load(text, Loader=_YAML_LOADER)  # a safe loader (see _yaml_loader)
    except yaml.YAMLError as exc:
        message = " ".join(str(exc).split())
        raise AnalyticsError(source, [f"not valid YAML: {cut(message, 300)}"], "malformed") from exc
    if isinstance(data, Mapping) and "analytics" in data:
        data = data["analytics"]
    if not isinstance(data, list):
        raise AnalyticsError(
            source,
            [
                "expected a list of rows (or a mapping with an 'analytics' list) of "
                "{day, profile, requests}"
            ],
            "malformed",
        )
    rows = []
    for i, entry in enumerate(data, start=1):
        if not isinstance(entry, Mapping):
            raise AnalyticsError(
                source,
                [f"entry {i}: expected a mapping of day, profile, requests, got {shown(entry)}"],
                "malformed",
            )
        rows.append((f"entry {i}", {str(k).strip().lower(): v for k, v in entry.items()}))
    return rows


def _as_day(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str) and len(value) <= MAX_SHOWN_CHARS:
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def _as_number(value: Any) -> float | None:
    """A float (``inf`` beyond the float range), None when not a number."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | np.integer):
        try:
            return float(value)
        except OverflowError:
            return math.inf if value > 0 else -math.inf
    if isinstance(value, float | np.floating):
        return float(value)
    if isinstance(value, str):
        try:  # linear in the text's length; beyond the float range: inf
            return float(value.strip().replace(" ", ""))
        except ValueError:
            return None
    return None


def _header_problems(columns: set[str]) -> list[str]:
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    unknown = sorted(columns - set(ANALYTICS_COLUMNS))
    problems: list[str] = []
    if missing:
        problems.append(f"missing column(s) {', '.join(missing)}")
    if unknown:
        listed = ", ".join(cut(c, 30) for c in unknown[:MAX_SHOWN_COLUMNS])
        more = len(unknown) - MAX_SHOWN_COLUMNS
        problems.append(
            f"unexpected column(s) {listed}" + (f" and {more} more" if more > 0 else "")
        )
    if problems:
        problems[-1] += f" (expected {', '.join(REQUIRED_COLUMNS)}[, {', '.join(SIZE_COLUMNS)}])"
    return problems


def _not_scalar(where: str, row: Mapping[str, Any]) -> list[str]:
    return [
        f"{where}: {column} must be a single value, got {shown(value)}"
        for column, value in row.items()
        if not _is_scalar(value)
    ]


def validate_rows(
    rows: Iterable[tuple[str, Mapping[str, Any]]],
    config: UsageConfig,
    source: str = "analytics",
    limits: Limits | None = None,
    deadline: float | None = None,
) -> pd.DataFrame:
    """Typed analytics (``day`` date, ``profile``, ``requests`` int, sizes float/NaN).

    Raises:
        AnalyticsError: listing the wrong rows (row, field, value cut to
            :data:`MAX_SHOWN_CHARS` characters, what was expected).
    """
    limits = limits or config.limits
    rows = list(rows)
    if not rows:
        raise AnalyticsError(source, ["no rows (expected day, profile, requests)"], "malformed")
    if len(rows) > limits.max_rows:
        raise AnalyticsError(
            source, [f"{len(rows)} rows, more than the limit of {limits.max_rows}"], "too_large"
        )
    header_problems = _header_problems(set().union(*(row.keys() for _, row in rows)))
    if header_problems:
        raise AnalyticsError(source, header_problems, "malformed")

    known = list(config.profiles)
    problems = _Problems()
    out: list[dict[str, Any]] = []
    for index, (where, row) in enumerate(rows, start=1):
        if index % DEADLINE_CHECK_ROWS == 0:
            check_deadline(deadline, source)
        not_scalar = _not_scalar(where, row)
        if not_scalar:
            for text in not_scalar:
                problems.add(text)
            continue
        day = _as_day(row.get("day"))
        if day is None:
            problems.add(
                f"{where}: day {shown(row.get('day'))} is not a date (expected YYYY-MM-DD)"
            )
        profile = row.get("profile")
        profile = str(profile).strip() if profile is not None else ""
        if profile not in config.profiles:
            problems.add(
                f"{where}: unknown profile {shown(profile)}; known profiles: {', '.join(known)}"
            )
        requests = _as_number(row.get("requests"))
        if requests is None or math.isnan(requests):
            problems.add(
                f"{where}: requests {shown(row.get('requests'))} is not a whole number of requests"
            )
        elif math.isinf(requests):
            problems.add(
                f"{where}: requests {shown(row.get('requests'))} exceeds the limit of "
                f"{limits.max_requests_per_row} per row"
            )
        elif not requests.is_integer():
            problems.add(
                f"{where}: requests {shown(row.get('requests'))} is not a whole number of requests"
            )
        elif requests < 0:
            problems.add(f"{where}: requests is negative ({shown(int(requests))}); expected ≥ 0")
        elif requests > limits.max_requests_per_row:
            problems.add(
                f"{where}: requests {shown(int(requests))} exceeds the limit of "
                f"{limits.max_requests_per_row} per row"
            )
        sizes: dict[str, float] = {}
        for column in SIZE_COLUMNS:
            raw = row.get(column)
            if raw is None or raw == "":
                sizes[column] = math.nan
                continue
            value = _as_number(raw)
            if value is None or not math.isfinite(value) or value < 0:
                problems.add(f"{where}: {column} {shown(raw)} must be a number ≥ 0")
            elif value > limits.max_tokens_per_request:
                problems.add(
                    f"{where}: {column} {shown(raw)} exceeds the limit of "
                    f"{limits.max_tokens_per_request} tokens per request"
                )
            else:
                sizes[column] = value
        out.append({"day": day, "profile": profile, "requests": requests} | sizes)
    if problems:
        raise AnalyticsError(source, problems.items, "invalid", more=problems.more)
    frame = pd.DataFrame(out, columns=list(ANALYTICS_COLUMNS))
    frame["requests"] = frame["requests"].astype("int64")
    for column in SIZE_COLUMNS:
        frame[column] = frame[column].astype("float64")
    return frame


def parse_analytics(
    data: bytes,
    config: UsageConfig,
    fmt: str | None = None,
    filename: str | None = None,
    source: str | None = None,
    deadline: float | None = None,
) -> pd.DataFrame:
    """Bytes of an analytics file → validated frame (size limit first, all in memory)."""
    source = source or filename or "analytics"
    limit = config.limits.max_upload_bytes
    if len(data) > limit:
        raise AnalyticsError(
            source, [f"{len(data)} bytes, more than the limit of {limit} bytes"], "too_large"
        )
    rows = read_rows(data, fmt, source, filename, deadline)
    return validate_rows(rows, config, source, deadline=deadline)
