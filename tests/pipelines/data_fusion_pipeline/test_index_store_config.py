"""The index store configuration: DuckDB tables by default, Elasticsearch mappings in prod.

The Elasticsearch dataset itself (bulk, alias swap, failures) is tested with the store; here we
check that the fusion catalog maps every column the nodes write, with the contract's key.
"""

from __future__ import annotations

import pandas as pd
import pytest
from kedro.io import DataCatalog

from data_collection_kedro.datasets import DuckDBTableDataset, ElasticsearchIndexDataset
from data_collection_kedro.domain.fuel import FUEL_COLUMNS
from data_collection_kedro.domain.normalization import QUALITY_COLUMNS
from data_collection_kedro.domain.weather import WEATHER_COLUMNS
from data_collection_kedro.pipelines.data_fusion_pipeline.nodes import (
    CONSOMMATION_MOUVEMENTS_COLUMNS,
    METEO_CONSOMMATION_COLUMNS,
)
from tests.support.fusion_frames import catalog_config

INDICES = {
    "meteo_consommation": (METEO_CONSOMMATION_COLUMNS, ["region_code", "day"]),
    "consommation_mouvements": (CONSOMMATION_MOUVEMENTS_COLUMNS, ["region_code", "day"]),
    "prix_carburants_journalier": (FUEL_COLUMNS, ["day", "department_code", "fuel"]),
    "fusion_data_quality": (QUALITY_COLUMNS, ["index", "check"]),
}


@pytest.mark.parametrize("name", sorted(INDICES))
def test_prod_indices_have_explicit_mappings_for_every_column(name, data_dir):
    columns, key = INDICES[name]
    entry = catalog_config("prod")[name]
    assert entry["type"].endswith("ElasticsearchIndexDataset")
    assert entry["index"] == name and entry["id_fields"] == key
    mappings = entry["mappings"]
    assert set(columns) <= set(mappings), set(columns) - set(mappings)
    assert mappings["day" if "day" in columns else "index"] in ("date", "keyword")
    dataset = DataCatalog.from_config({name: entry}).get(name)
    assert isinstance(dataset, ElasticsearchIndexDataset)
    if name == "prix_carburants_journalier":
        assert mappings["location"] == "geo_point"
        assert entry["geo_points"] == {"location": ["latitude", "longitude"]}


@pytest.mark.parametrize("name", sorted(INDICES))
def test_default_indices_are_duckdb_tables_replaced_atomically(name, data_dir):
    entry = catalog_config(None)[name]
    _, key = INDICES[name]
    assert entry["mode"] == "replace" and entry["key"] == key and entry["table"] == name
    dataset = DataCatalog.from_config({name: entry}).get(name)
    assert isinstance(dataset, DuckDBTableDataset)


def test_an_index_round_trips_through_the_default_store_with_a_date_day(data_dir, fusion_params):
    from data_collection_kedro.pipelines.data_fusion_pipeline.nodes import (
        build_meteo_consommation,
    )

    consumption = pd.DataFrame(
        {
            "region_code": ["53"],
            "region": ["Bretagne"],
            "day": pd.to_datetime(["2024-03-31"]),
            "gas_consumption_mwh": [10.0],
            "electricity_consumption_mwh": [20.0],
            "gas_operator_count": [1],
            "gas_status": ["Définitif"],
            "gas_imputed": [False],
            "is_complete": [True],
            **{f"gas_h{h:02d}_share": [1 / 24] for h in range(24)},
        }
    )
    index, _ = build_meteo_consommation(
        consumption, pd.DataFrame(columns=WEATHER_COLUMNS), fusion_params
    )
    entry = catalog_config(None)["meteo_consommation"]
    dataset = DataCatalog.from_config({"meteo_consommation": entry}).get("meteo_consommation")
    dataset.save(index)
    dataset.save(index)  # replace, not append
    loaded = dataset.load()
    assert len(loaded) == 1
    assert str(loaded.loc[0, "day"]) == "2024-03-31"
