"""Fast, exact CSV writing for the sample files (pyarrow, unquoted values like the sources)."""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv


def append_rows(fh: BinaryIO, frame: pd.DataFrame, sep: str = ";") -> None:
    """Append rows without header; fails if a value contains the separator, a quote or a newline."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    options = pa_csv.WriteOptions(include_header=False, delimiter=sep, quoting_style="none")
    pa_csv.write_csv(table, fh, options)


def write_csv(
    path: Path, frame: pd.DataFrame, *, sep: str = ";", bom: bool = False, crlf: bool = False
) -> int:
    """Write ``frame`` with its header; UTF-8 (BOM optional), LF or CRLF line ends."""
    if crlf:
        with path.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as text:
            frame.to_csv(text, sep=sep, index=False, lineterminator="\r\n")
        return len(frame)
    with path.open("wb") as fh:
        fh.write(header_line(frame.columns, sep=sep, bom=bom))
        if len(frame):
            append_rows(fh, frame, sep=sep)
    return len(frame)


def header_line(columns: pd.Index | list[str], *, sep: str = ";", bom: bool = False) -> bytes:
    return ("\ufeff" if bom else "").encode() + (sep.join(columns) + "\n").encode("utf-8")


def decimals(values: object, digits: int) -> list[str]:
    """Fixed-point text of floats (``13819.000``)."""
    return [f"{v:.{digits}f}" for v in pd.Series(values, dtype=float).to_numpy()]
