"""Focused checks of the vectorized casts and header matching used at the boundary."""

from __future__ import annotations

import pandas as pd

from data_collection_kedro.validation import header_key
from data_collection_kedro.validation.core import (
    duplicated_keys,
    to_date,
    to_float,
    to_int,
    to_timestamp_local,
    to_timestamp_utc,
)


def strings(*values: str | None) -> pd.Series:
    return pd.Series(list(values), dtype="str")


def test_header_matching_is_tolerant() -> None:
    assert header_key("\ufeffSecteur d'activité") == header_key("secteur_d'activité")
    assert header_key("Consommation journalière (MWh - PCS 0°C)") == header_key(
        "consommation_journalière_(mwh_-_pcs_0°c)"
    )
    assert header_key("TMin (°C)") != header_key("TMax (°C)")


def test_dates_in_every_source_format() -> None:
    values, failed = to_date(
        strings(
            "2021-03-31", "31/03/2021", "31/03/21", "2021/03/31", "2021-03-31T00:00:00-11"
        ).pipe(lambda s: pd.concat([s, strings("32/01/2021", "hier", None)], ignore_index=True))
    )
    assert [str(v) for v in values[:5]] == ["2021-03-31"] * 5
    assert failed.tolist() == [False] * 5 + [True, True, False]


def test_utc_timestamps_need_an_offset() -> None:
    values, failed = to_timestamp_utc(
        strings("2021-03-28T03:00:00+02:00", "2021-03-28T01:30:00+01:00", "2021-03-28 03:00")
    )
    assert values[0] == pd.Timestamp("2021-03-28T01:00Z")
    assert values[1] == pd.Timestamp("2021-03-28T00:30Z")
    assert failed.tolist() == [False, False, True]


def test_local_timestamps_convert_offsets_to_paris_time() -> None:
    values, failed = to_timestamp_local(
        strings("2023-11-27 08:20:00", "2023-06-27T08:20:00Z", "2023-01-02", "27/11/2023 8h")
    )
    assert values[:3].astype(str).tolist() == [
        "2023-11-27 08:20:00",
        "2023-06-27 10:20:00",
        "2023-01-02 00:00:00",
    ]
    assert failed.tolist() == [False, False, False, True]


def test_numbers_fast_path_and_fallback() -> None:
    values, failed = to_float(strings(" 1.5", "2", None))
    assert values.tolist()[:2] == [1.5, 2.0] and failed.tolist() == [False, False, False]
    values, failed = to_float(strings("1,5", "abc", "3e2"))
    assert values[0] == 1.5 and values[2] == 300.0 and failed.tolist() == [False, True, False]
    ints, failed = to_int(strings("6", "1.5", "x"))
    assert ints[0] == 6 and failed.tolist() == [False, True, True]


def test_duplicated_keys_flags_later_repeats_only() -> None:
    frame = pd.DataFrame(
        {
            "station": ["a", "b", "a", "a", None, None],
            "fuel": ["E10", "E10", "E10", "SP98", "E10", "E10"],
        }
    )
    assert duplicated_keys(frame, ["station", "fuel"]).tolist() == [
        False,
        False,
        True,
        False,
        False,
        True,
    ]
