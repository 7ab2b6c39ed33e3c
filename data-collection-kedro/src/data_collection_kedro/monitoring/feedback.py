"""Validation of a user's rating of a prediction (``user_feedback`` rows)."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

from data_collection_kedro.monitoring.records import new_id

DEFAULT_MAX_COMMENT_CHARS = 1000


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
    """Return the ``user_feedback`` row for a rating, or raise :class:`FeedbackValidationError`."""
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
        "comment": text or None,
    }
