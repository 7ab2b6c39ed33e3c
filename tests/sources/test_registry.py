"""The source registry: declarations are consistent, every reference resolves, and each value
rule gives the same rows in pandas and in DuckDB SQL."""

from __future__ import annotations

import inspect
from datetime import date, timedelta

import duckdb
import numpy as np
import pandas as pd
import pytest
from kedro.io import AbstractDataset

from data_collection_kedro.domain.normalization import OPERATOR_SPELLINGS
from data_collection_kedro.sources import registry
from data_collection_kedro.sources.registry import (
    QUARANTINE,
    Column,
    Family,
    Offline,
    Registry,
    RegistryError,
    Source,
    Table,
)
from data_collection_kedro.sources.rules import (
    DEFAULT_PARAMETERS,
    AtLeast,
    Canonical,
    Divide,
    Matches,
    NotBefore,
    Param,
    SumMatches,
)

SOURCES = registry.sources()


def test_the_declared_sources_and_their_catalog_names() -> None:
    assert {s.name: (s.source_dataset, s.output_datasets) for s in SOURCES} == {
        "consumption_regional": ("source_consumption_regional", ["raw_consumption_regional"]),
        "gas_load_curve": ("source_gas_load_curve", ["raw_gas_load_curve"]),
        "weather_regional": ("source_weather_regional", ["raw_weather_regional"]),
        "weather_historique": ("source_weather_historique", ["raw_weather_historique"]),
        "fuel_prices": ("source_fuel_prices_history", ["raw_fuel_prices"]),
        "fuel_flux": (
            "source_fuel_flux",
            ["raw_fuel_stations", "raw_fuel_prices_snapshot", "raw_fuel_shortages"],
        ),
        "strikes": ("source_strikes", ["raw_strikes"]),
        "holidays": ("source_holidays", ["raw_public_holidays", "raw_school_holidays"]),
        "consumption_national": ("source_consumption_national", ["raw_consumption_national"]),
        "weather_forecast": ("source_weather_forecast", ["raw_weather_forecast"]),
        "grid_carbon_intensity": (
            "source_grid_carbon_intensity",
            ["raw_grid_carbon_intensity"],
        ),
    }
    declared = registry.load()
    assert declared.table("raw_fuel_prices_snapshot") is declared.table("raw_fuel_prices")
    assert declared.table("quarantine_fuel_prices_history") is QUARANTINE
    assert declared.source("fuel_prices_history").name == "fuel_prices"


@pytest.mark.parametrize("source", SOURCES, ids=lambda s: s.name)
def test_every_source_has_a_french_title_for_the_dashboard(source: Source) -> None:
    # the dashboard shows ``display_name``; the English description is the fallback of a
    # declaration without a title
    assert source.title and source.display_name == source.title
    assert source.title != source.description


@pytest.mark.parametrize("source", SOURCES, ids=lambda s: s.name)
def test_every_reference_of_a_declaration_resolves(source: Source) -> None:
    references = [source.parser] + [h for t in source.tables for h in (t.prepare, t.derive)]
    for reference in filter(None, references):
        hook = registry.resolve(reference)
        assert callable(hook) and len(inspect.signature(hook).parameters) >= 1, reference
    assert issubclass(registry.resolve(source.offline.dataset), AbstractDataset)
    if source.offline.sample_writer:
        writer = registry.resolve(source.offline.sample_writer)
        assert list(inspect.signature(writer).parameters) == ["out_dir", "world", "file"]
    if source.live:
        assert issubclass(registry.resolve(source.live.dataset), AbstractDataset)
        if source.live.watermark:
            assert source.live.watermark in {c.name for c in source.tables[0].columns}
    for table in source.tables:
        columns = {c.name for c in table.columns}
        for column in table.columns:
            assert column.fallback is None or column.fallback in columns, column
        for rule in (*table.rules, *table.transforms):
            assert rule.column in columns, (table.name, rule)
            for value in vars(rule).values():  # a named parameter has a default
                assert not isinstance(value, Param) or value.get(DEFAULT_PARAMETERS), rule


def test_a_missing_reference_names_the_declaration_value() -> None:
    with pytest.raises(RegistryError, match="'nowhere.module:parse'"):
        registry.resolve("nowhere.module:parse")


def _source(name: str, family: Family, tables: tuple[Table, ...], **kwargs: object) -> Source:
    return Source(name, family, "test", tables, Offline(file=f"{name}.csv"), **kwargs)  # type: ignore[arg-type]


def test_inconsistent_declarations_are_refused() -> None:
    daily = Family("daily", "0 6 * * *", timedelta(hours=1), "daily")
    table = Table("raw_a", (Column("day", type="date"),), key=("day",))
    table_b = Table("raw_b", table.columns, key=("day",))
    with pytest.raises(RegistryError, match=r"source declared twice: \['a'\]"):
        Registry([_source("a", daily, (table,)), _source("a", daily, (table_b,))])
    with pytest.raises(RegistryError, match=r"catalog name declared twice: \['raw_a'\]"):
        Registry([_source("a", daily, (table,)), _source("b", daily, (table,))])
    hourly = Family("daily", "0 * * * *", timedelta(hours=1), "hourly")
    with pytest.raises(RegistryError, match="family 'daily' is declared with different settings"):
        Registry([_source("a", daily, (table,)), _source("b", hourly, (table_b,))])
    other = Table("raw_a", (Column("day", type="str"),), key=("day",))
    with pytest.raises(RegistryError, match="table 'raw_a' is declared twice"):
        Registry(
            [
                _source("a", daily, (table,)),
                _source("b", daily, (other,), outputs={"raw_a": "raw_a_again"}),
            ]
        )
    with pytest.raises(RegistryError, match="writes several tables: needs a parser"):
        Registry([_source("a", daily, (table, QUARANTINE))])
    with pytest.raises(RegistryError, match="key columns"):
        Registry([_source("a", daily, (Table("raw_b", table.columns, key=("x",)),))])
    with pytest.raises(RegistryError, match=r"no source 'b' declared \(known: a\)"):
        Registry([_source("a", daily, (table,))]).source("b")


# --- the same rule in pandas and in DuckDB ------------------------------------------------


def _typed_frame(columns: list[str], kinds: dict[str, str], n: int = 400) -> pd.DataFrame:
    """Values around every bound the declarations use, with NULLs, as the casts type them."""
    rng = np.random.default_rng(3)
    data: dict[str, object] = {}
    for column in columns:
        kind = kinds.get(column, "str")
        missing = rng.random(n) < 0.1
        if kind in {"float", "int"}:
            values = rng.choice(
                [
                    -181.0,
                    -90.0,
                    -41.0,
                    -40.0,
                    -0.5,
                    0.0,
                    0.2,
                    1.0,
                    50.0,
                    99.0,
                    100.0,
                    150.0,
                    5000.0,
                ],
                n,
            ) + rng.choice([0.0, 0.0, 1e-9, -1e-9], n)
            data[column] = pd.Series(np.where(missing, np.nan, values), dtype="float64")
        elif kind in {"date", "paris_day", "timestamp_local", "timestamp_utc"}:
            # days around every date window: before the first years, now, after the horizon
            offsets = rng.choice([-9000, -5000, -10, 0, 1, 3, 400, 1300, 30000], n)
            days = [TODAY + timedelta(days=int(d)) for d in offsets]
            values = pd.Series(
                [None if m else d for m, d in zip(missing, days, strict=True)],
                dtype="date32[pyarrow]",
            )
            if kind.startswith("timestamp"):
                values = values.astype("datetime64[us]") + pd.Timedelta(hours=13)
                if kind == "timestamp_utc":
                    values = values.dt.tz_localize("UTC")
            data[column] = values
        elif kind in {"region", "region_code"} or column == "region":
            choices = ["11", "53", "84", "99"] if kind == "region_code" else REGION_SPELLINGS
            data[column] = pd.Series(
                [
                    None if m else str(v)
                    for m, v in zip(missing, rng.choice(choices, n), strict=True)
                ],
                dtype="str",
            )
        else:
            choices = ["R", "A", "X", "Gazole", "E10", "gazole", "temporaire", "definitive", "a b"]
            data[column] = pd.Series(
                [
                    None if m else str(v)
                    for m, v in zip(missing, rng.choice(choices, n), strict=True)
                ],
                dtype="str",
            )
    return pd.DataFrame(data)


TODAY = date(2026, 3, 15)
REGION_SPELLINGS = [
    "Île-de-France",
    "ile-de-france",
    "Bretagne",
    "Auvergne-Rhône-Alpes",
    "auvergne-rhône-alpes",
    "rh-ne-alpes",
    "Provence-Alpes-Côte d'Azur",
    "Atlantide",
    "11",
]


def _sql_mask(frame: pd.DataFrame, expression: str) -> np.ndarray:
    with duckdb.connect() as con:
        con.execute("SET TimeZone = 'UTC'")
        con.register("typed", frame.assign(_row=np.arange(len(frame))))
        rows = con.execute(f"SELECT {expression} FROM typed ORDER BY _row").fetchall()
    return np.array([bool(r[0]) for r in rows])


DECLARED_RULES = [
    pytest.param(table, rule, id=f"{table.name}:{type(rule).__name__}:{rule.column}")
    for source in SOURCES
    for table in source.tables
    for rule in table.rules
]


@pytest.mark.parametrize(("table", "rule"), DECLARED_RULES)
def test_each_declared_rule_agrees_in_pandas_and_duckdb(table: Table, rule: object) -> None:
    kinds = {c.name: c.type for c in table.columns}
    names = [c.name for c in table.columns]
    frame = _typed_frame(names, kinds)
    params = {**DEFAULT_PARAMETERS, "today": TODAY}
    python = rule.failed(frame, params)  # type: ignore[attr-defined]
    sql = _sql_mask(frame, rule.sql(params))  # type: ignore[attr-defined]
    assert python.any() and not python.all(), "the frame exercises both outcomes"
    np.testing.assert_array_equal(python, sql)


def test_sum_regex_and_transforms_agree_in_pandas_and_duckdb() -> None:
    frame = pd.DataFrame(
        {
            "a": [1.0, 2.0, np.nan, 4.0, 1.0],
            "b": [2.0, 2.0, 1.0, 4.0, 1.5],
            "total": [3.0, 4.5, 1.0, 8.0, 2.5],
            "code": ["11", "1a", None, "084", "99"],
            "price": [1.825, 1825.0, np.nan, 100.0, 100.5],
        }
    )
    checks = [
        SumMatches("total", ("a", "b"), 0.01, "parts"),
        SumMatches("total", ("a", "b"), Param("tolerance"), "parts"),
        Matches("code", r"\d{2}", "region code: two digits"),
        NotBefore("b", "a"),
        AtLeast("a", Param("floor")),
    ]
    params = {"tolerance": 0.2, "floor": 2.0}
    for rule in checks:
        np.testing.assert_array_equal(
            rule.failed(frame, params), _sql_mask(frame, rule.sql(params)), str(rule)
        )
    assert checks[0].failed(frame, params).tolist() == [False, True, False, False, False]
    assert checks[1].reason(params) == "parts do not add up to total (relative tolerance 0.2)"
    names = pd.DataFrame(
        {"operator": ["GRTgaz", " grtgaz ", "NaTran", "Teréga", "TIGF", "Other", None]}
    )
    canonical = Canonical("operator", OPERATOR_SPELLINGS)
    with duckdb.connect() as con:
        con.register("typed", names)
        in_sql = [r[0] for r in con.execute(f"SELECT {canonical.sql({})} FROM typed").fetchall()]
    in_pandas = canonical.apply(names["operator"], {}).tolist()
    assert (
        in_pandas[:6] == in_sql[:6] == ["GRTgaz", "GRTgaz", "GRTgaz", "Teréga", "Teréga", "Other"]
    )
    assert in_sql[6] is None and pd.isna(in_pandas[6])
    for divide in (Divide("price", 1000, above=100.0), Divide("price", 100000.0)):
        expected = divide.apply(frame["price"], params).to_numpy()
        with duckdb.connect() as con:
            con.register("typed", frame)
            got = np.array(
                [r[0] for r in con.execute(f"SELECT {divide.sql(params)} FROM typed").fetchall()],
                dtype="float64",
            )
        np.testing.assert_array_equal(expected, got)


def test_the_listing_has_one_row_per_source_with_its_overrides() -> None:
    from data_collection_kedro.sources.__main__ import markdown

    lines = markdown().splitlines()
    assert len(lines) == 2 + len(SOURCES)
    consumption = next(line for line in lines if line.startswith("| `consumption_regional`"))
    assert "`ENERGIEWATCH_ODRE_URL`, `ENERGIEWATCH_CONSUMPTION_DATASET`" in consumption
    assert "`raw_consumption_regional` (region_code, timestamp_utc)" in consumption
    historique = next(line for line in lines if line.startswith("| `weather_historique`"))
    assert "| — |" in historique  # no live client


def test_every_source_declares_when_it_publishes_and_the_doc_lists_it() -> None:
    from data_collection_kedro.sources.__main__ import publication_markdown
    from tests.support.paths import REPO_ROOT

    for source in SOURCES:
        assert source.publication is not None, f"{source.name}: no publication declared"
        assert source.publication_lag_days == source.publication.lag_days
        assert source.publication.reference, source.name
    by_name = {s.name: s.publication_lag_days for s in SOURCES}
    assert by_name["weather_forecast"] == 0 and by_name["gas_load_curve"] == 45
    doc = (REPO_ROOT / "docs" / "live-sources.md").read_text(encoding="utf-8")
    assert publication_markdown() in doc, (
        "run python -m data_collection_kedro.sources --publication"
    )
