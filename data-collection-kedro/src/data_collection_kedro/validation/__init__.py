"""Validation at the ingestion boundary: the declared sources' rules, good rows + quarantine."""

from data_collection_kedro.validation.core import (
    QUARANTINE_COLUMNS,
    MissingColumnError,
    Validator,
    empty_quarantine,
    header_key,
    summarize_quarantine,
)
from data_collection_kedro.validation.tables import (
    TableCheck,
    check_table,
    empty_source_frame,
    parse_source,
    validate_table,
)

__all__ = [
    "QUARANTINE_COLUMNS",
    "MissingColumnError",
    "TableCheck",
    "Validator",
    "check_table",
    "empty_quarantine",
    "empty_source_frame",
    "header_key",
    "parse_source",
    "summarize_quarantine",
    "validate_table",
]
