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
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

import pandas as pd
import yaml

from data_collection_kedro.usage.config import Limits, UsageConfig

REQUIRED_COLUMNS = ("day", "profile", "requests")
SIZE_COLUMNS = ("mean_input_tokens", "mean_output_tokens")
ANALYTICS_COLUMNS = (*REQUIRED_COLUMNS, *SIZE_COLUMNS)
MAX_REPORTED_PROBLEMS = 20


class AnalyticsError(ValueError):
    """The analytics cannot be used; ``problems`` lists each issue, ``kind`` classifies them.

    ``kind``: ``malformed`` (not readable as YAML/CSV of rows), ``too_large`` (size/row limit),
    ``invalid`` (rows readable but values wrong: negative counts, unknown profile, …).
    """

    def __init__(self, source: str, problems: Sequence[str], kind: str = "invalid") -> None:
        self.source = source
        self.problems = list(problems)
        self.kind = kind
        shown = "; ".join(self.problems[:MAX_REPORTED_PROBLEMS])
        more = len(self.problems) - MAX_REPORTED_PROBLEMS
        suffix = f"; … and {more} more" if more > 0 else ""
        super().__init__(f"{source}: {shown}{suffix}")


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
    data: bytes, fmt: str | None = None, source: str = "analytics", filename: str | None = None
) -> list[tuple[str, dict[str, Any]]]:
    """``(where, row)`` pairs from YAML or CSV bytes (``where`` = "line 3" / "entry 2")."""
    fmt = fmt or detect_format(filename, None, data)
    text = _decode(data, source)
    if not text.strip():
        raise AnalyticsError(
            source, ["the file is empty (expected rows of day, profile, requests)"], "malformed"
        )
    if fmt == "csv":
        return _csv_rows(text, source)
    if fmt == "yaml":
        return _yaml_rows(text, source)
    raise AnalyticsError(source, [f"unknown format {fmt!r} (expected yaml or csv)"], "malformed")


def _csv_rows(text: str, source: str) -> list[tuple[str, dict[str, Any]]]:
    header_line = text.split("\n", 1)[0]
    delimiter = ";" if header_line.count(";") > header_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = [h.strip().lower() for h in next(reader)]
        rows: list[tuple[str, dict[str, Any]]] = []
        for record in reader:
            line = reader.line_num
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


def _yaml_rows(text: str, source: str) -> list[tuple[str, dict[str, Any]]]:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise AnalyticsError(
            source, [f"not valid YAML: {exc}".replace("\n", " ")], "malformed"
        ) from exc
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
                source, [f"entry {i}: expected a mapping of day, profile, requests"], "malformed"
            )
        rows.append((f"entry {i}", {str(k).strip().lower(): v for k, v in entry.items()}))
    return rows


def _as_day(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def _as_number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip().replace(" ", ""))
        except ValueError:
            return None
    return None


def validate_rows(
    rows: Iterable[tuple[str, Mapping[str, Any]]],
    config: UsageConfig,
    source: str = "analytics",
    limits: Limits | None = None,
) -> pd.DataFrame:
    """Typed analytics (``day`` date, ``profile``, ``requests`` int, sizes float/NaN).

    Raises:
        AnalyticsError: listing every wrong row (row, field, value, what was expected).
    """
    limits = limits or config.limits
    rows = list(rows)
    if not rows:
        raise AnalyticsError(source, ["no rows (expected day, profile, requests)"], "malformed")
    if len(rows) > limits.max_rows:
        raise AnalyticsError(
            source, [f"{len(rows)} rows, more than the limit of {limits.max_rows}"], "too_large"
        )
    columns = set().union(*(row.keys() for _, row in rows))
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    unknown = sorted(columns - set(ANALYTICS_COLUMNS))
    if missing or unknown:
        header_problems: list[str] = []
        if missing:
            header_problems.append(f"missing column(s) {', '.join(missing)}")
        if unknown:
            header_problems.append(f"unexpected column(s) {', '.join(unknown)}")
        expected = f" (expected {', '.join(REQUIRED_COLUMNS)}[, {', '.join(SIZE_COLUMNS)}])"
        header_problems[-1] += expected
        raise AnalyticsError(source, header_problems, "malformed")

    known = list(config.profiles)
    problems: list[str] = []
    out: list[dict[str, Any]] = []
    for where, row in rows:
        day = _as_day(row.get("day"))
        if day is None:
            problems.append(f"{where}: day {row.get('day')!r} is not a date (expected YYYY-MM-DD)")
        profile = row.get("profile")
        profile = str(profile).strip() if profile is not None else ""
        if profile not in config.profiles:
            problems.append(
                f"{where}: unknown profile {profile!r}; known profiles: {', '.join(known)}"
            )
        requests = _as_number(row.get("requests"))
        if requests is None or math.isnan(requests) or not requests.is_integer():
            problems.append(
                f"{where}: requests {row.get('requests')!r} is not a whole number of requests"
            )
        elif requests < 0:
            problems.append(f"{where}: requests is negative ({int(requests)}); expected ≥ 0")
        elif requests > limits.max_requests_per_row:
            problems.append(
                f"{where}: requests {int(requests)} exceeds the limit of "
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
                problems.append(f"{where}: {column} {raw!r} must be a number ≥ 0")
            else:
                sizes[column] = value
        out.append({"day": day, "profile": profile, "requests": requests} | sizes)
    if problems:
        raise AnalyticsError(source, problems, "invalid")
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
) -> pd.DataFrame:
    """Bytes of an analytics file → validated frame (size limit first, all in memory)."""
    source = source or filename or "analytics"
    limit = config.limits.max_upload_bytes
    if len(data) > limit:
        raise AnalyticsError(
            source, [f"{len(data)} bytes, more than the limit of {limit} bytes"], "too_large"
        )
    return validate_rows(read_rows(data, fmt, source, filename), config, source)
