"""Validation of a user's rating of a prediction (``user_feedback`` rows), and its export.

Free text typed by a user is spreadsheet-safe on storage and on export: a cell starting with
``=``, ``+``, ``-``, ``@``, a tab or a carriage return (which a spreadsheet would run as a formula)
gets a leading apostrophe, the neutralization OWASP recommends against CSV injection.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

import pandas as pd

from data_collection_kedro.monitoring.records import new_id

DEFAULT_MAX_COMMENT_CHARS = 1000
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: Any) -> Any:
    """``value`` with a leading ``'`` when it is text a spreadsheet would read as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def spreadsheet_safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with :func:`spreadsheet_safe` applied to every text cell (rows stored before
    the neutralization included)."""
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].map(spreadsheet_safe)
    return out


def feedback_csv(feedback: pd.DataFrame) -> bytes:
    """The feedback rows as a spreadsheet-safe CSV (``;``, UTF-8 with BOM for spreadsheets)."""
    return spreadsheet_safe_frame(feedback).to_csv(index=False, sep=";").encode("utf-8-sig")


class FeedbackValidationError(ValueError):
    """The feedback is not stored: the message says which field is wrong and what is expected."""


def validate_feedback(
    *,
    page: str,
    model_name: str,
    model_version: str | None,
    prediction_value: float | None,
    rating: Any,
    comment: str | None,
    max_comment_chars: int = DEFAULT_MAX_COMMENT_CHARS,
) -> dict[str, Any]:
    """Return the ``user_feedback`` row for a rating, or raise :class:`FeedbackValidationError`.

    The comment is stripped, limited to ``max_comment_chars`` as typed, and stored
    spreadsheet-safe (:func:`spreadsheet_safe`: one more character when neutralized)."""
    if isinstance(rating, bool) or not isinstance(rating, int | float) or rating != int(rating):
        raise FeedbackValidationError(f"rating: entier de 1 à 5 attendu, reçu {rating!r}")
    if not 1 <= int(rating) <= 5:
        raise FeedbackValidationError(f"rating: entier de 1 à 5 attendu, reçu {rating!r}")
    text = (comment or "").strip()
    if len(text) > max_comment_chars:
        raise FeedbackValidationError(
            f"comment: {len(text)} caractères, au plus {max_comment_chars} autorisés"
        )
    if not page or not model_name:
        raise FeedbackValidationError("page et model_name sont obligatoires")
    if prediction_value is not None and not math.isfinite(float(prediction_value)):
        raise FeedbackValidationError(
            f"prediction_value: nombre fini attendu, reçu {prediction_value!r}"
        )
    return {
        "feedback_id": new_id(),
        "submitted_at": datetime.now(UTC),
        "page": page,
        "model_name": model_name,
        "model_version": model_version,
        "prediction_value": None if prediction_value is None else float(prediction_value),
        "rating": int(rating),
        "comment": spreadsheet_safe(text) or None,
    }
