"""``strikes``: the SNCF export has no identifier; ``strike_id`` is derived from the row."""

from __future__ import annotations

import hashlib

import pandas as pd

from data_collection_kedro.validation.tables import TableCheck


def strike_ids(start: pd.Series, reason: pd.Series, unions: pd.Series) -> pd.Series:
    """First 16 hex digits of sha1(``date_de_debut|motif|organisations_syndicales``), source
    strings with empty values as ``""``."""
    keys = start.fillna("") + "|" + reason.fillna("") + "|" + unions.fillna("")
    return keys.map(lambda k: hashlib.sha1(k.encode("utf-8")).hexdigest()[:16]).astype("str")


def derive(check: TableCheck) -> None:
    raw = check.raw
    check.typed.insert(0, "strike_id", strike_ids(raw["start_date"], raw["reason"], raw["unions"]))
