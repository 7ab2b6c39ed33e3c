"""The index contracts (``domain.contracts``) and ``docs/data-contracts.md`` agree, and a
contract checks the frames it selects."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from data_collection_kedro.domain.contracts import COLUMN_TYPES, CONTRACTS, Contract
from tests.support.paths import REPO_ROOT

DOC = REPO_ROOT / "docs" / "data-contracts.md"


def _names(cell: str) -> list[str]:
    """Backticked column names of a cell; ``a00`` … ``a23`` spells a numbered range."""
    names = re.findall(r"`(\w+)`", cell)
    if "…" in cell:
        first, last = names
        prefix, start, suffix = re.fullmatch(r"(\D+)(\d+)(\D*)", first).groups()  # type: ignore[union-attr]
        stop = int(re.fullmatch(r"\D+(\d+)\D*", last).group(1))  # type: ignore[union-attr]
        return [f"{prefix}{n:0{len(start)}d}{suffix}" for n in range(int(start), stop + 1)]
    return names


def documented_tables(text: str) -> dict[str, tuple[list[str], list[tuple[str, str]]]]:
    """``{table: (key, [(column, type), ...])}`` of the ``### `table` `` sections of the doc."""
    tables = {}
    for section in re.split(r"\n(?=#{2,3} )", text):
        heading = re.match(r"### `(\w+)`\n", section)
        if not heading:
            continue
        key = re.search(r"^Key: (.+)\.$", section, re.MULTILINE)
        assert key, f"{heading.group(1)}: no 'Key: ...' line"
        rows = re.findall(r"^\| (`[^|]+) \| ([^|]+) \| [^|]* \|$", section, re.MULTILINE)
        columns: list[tuple[str, str]] = []
        for names_cell, types_cell in rows:
            names = _names(names_cell)
            types = [t.strip() for t in types_cell.split(",")]
            assert len(types) in (1, len(names)), f"{heading.group(1)}: {names_cell}"
            columns += list(
                zip(names, types * len(names) if len(types) == 1 else types, strict=True)
            )
        tables[heading.group(1)] = (_names(key.group(1).replace(", ", "`, `")), columns)
    return tables


def test_every_contract_is_documented_with_its_key_columns_and_types() -> None:
    documented = documented_tables(DOC.read_text(encoding="utf-8"))
    assert sorted(documented) == sorted(CONTRACTS)
    for name, contract in CONTRACTS.items():
        key, columns = documented[name]
        assert key == list(contract.key), name
        assert columns == list(contract.columns.items()), name


def test_the_doc_check_sees_a_disagreement() -> None:
    text = DOC.read_text(encoding="utf-8")
    renamed = text.replace("| `anomaly_score` | float |", "| `anomaly_value` | float |")
    retyped = text.replace("| `cluster` | integer |", "| `cluster` | string |")
    for changed in (renamed, retyped):
        assert changed != text
        documented = documented_tables(changed)
        assert any(
            documented[name][1] != list(contract.columns.items())
            for name, contract in CONTRACTS.items()
        )


def test_the_doc_lists_the_dashboard_pages_of_the_navigation() -> None:
    from dashboard_ui.navigation import PAGES

    text = DOC.read_text(encoding="utf-8")
    rows = re.findall(r"^\| `(\w+)` \| ([^|`]+) \| `(\w+)` \|$", text, re.MULTILINE)
    assert rows == [(page.view, page.title, page.url_path) for page in PAGES]


def test_select_keeps_the_contract_columns_in_order_and_names_missing_ones() -> None:
    contract = CONTRACTS["model_metrics"]
    frame = pd.DataFrame({"value": [1.0], "extra": [0], "metric": ["mape"], "split": ["test"]})
    with pytest.raises(
        ValueError, match=r"model_metrics: the frame lacks contract column\(s\) \['model'\]"
    ):
        contract.select(frame)
    selected = contract.select(frame.assign(model="m"))
    assert list(selected.columns) == ["model", "split", "metric", "value"]


def test_a_contract_refuses_unknown_types_and_a_key_outside_its_columns() -> None:
    assert "float" in COLUMN_TYPES
    with pytest.raises(ValueError, match="unknown column types"):
        Contract("t", key=("a",), columns={"a": "varchar"})  # type: ignore[dict-item]
    with pytest.raises(ValueError, match=r"key columns \['b'\]"):
        Contract("t", key=("b",), columns={"a": "string"})
