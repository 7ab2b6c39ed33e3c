"""``weather_historique``: day length as ``H:M:S`` (old-region files) or minutes (new-region)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from data_collection_kedro.validation.core import MissingColumnError, header_key, to_float
from data_collection_kedro.validation.tables import TableCheck

_DAY_LENGTH_LABELS = ("Dayduration_hour", "Dayduration_Min")


def prepare(check: TableCheck) -> None:
    """A file must carry one of the two day-length columns."""
    keys = {header_key(c) for c in check.frame.columns}
    if not keys & {header_key(label) for label in _DAY_LENGTH_LABELS}:
        frame = check.frame
        files = frame["_source_file"].unique().tolist() if "_source_file" in frame else []
        raise MissingColumnError(
            f"weather_historique: file(s) {files} have no column 'Dayduration_hour' (H:M:S) "
            f"nor 'Dayduration_Min'; expected header: {check.table.expected_header()!r}"
        )


def hms_to_hours(raw: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Hours of ``H:M:S`` (or ``H:M``) values; failure = a value that is neither."""
    parts = raw.str.strip().str.split(":", expand=True)
    if parts.shape[1] < 2:
        parts = pd.DataFrame({0: raw, 1: pd.NA, 2: pd.NA}, index=raw.index)
    numbers = parts.iloc[:, :3].apply(pd.to_numeric, errors="coerce")
    if numbers.shape[1] < 3:
        numbers[2] = 0.0
    hours = numbers[0] + numbers[1] / 60 + numbers[2].fillna(0) / 3600
    return hours.astype("float64"), (raw.notna() & hours.isna()).to_numpy(dtype=bool)


def derive(check: TableCheck) -> None:
    """``day_duration_h`` from whichever day-length column the file has."""
    hours, failed_hms = hms_to_hours(check.raw["day_duration_hms"])
    minutes, failed_min = to_float(check.raw["day_duration_min"])
    check.typed["day_duration_h"] = hours.fillna(minutes / 60)
    check.fail(
        "day_duration_h",
        "unparsable day duration: expected H:M:S or minutes",
        failed_hms | failed_min,
    )
