"""The index store configuration: DuckDB tables by default, Elasticsearch mappings in prod.

The Elasticsearch dataset itself (bulk, alias swap, failures) is tested with the store; here we
check that both catalogs follow the indices' contracts (``domain.contracts``): table or alias,
key, and in prod an explicit mapping of every column.
"""

from __future__ import annotations

import pandas as pd
import pytest
from kedro.io import DataCatalog, DatasetError

from data_collection_kedro.datasets import DuckDBTableDataset, ElasticsearchIndexDataset
from data_collection_kedro.datasets.elasticsearch import CONTRACT_FIELD_TYPES
from data_collection_kedro.domain.contracts import CONTRACTS
from data_collection_kedro.domain.weather import WEATHER_COLUMNS, weather_consumption_index
from tests.support.fusion_frames import catalog_config

INDICES = [
    "meteo_consommation",
    "consommation_mouvements",
    "prix_carburants_journalier",
    "previsions_meteo",
    "previsions_meteo_nationales",
    "consommation_nationale",
    "fusion_data_quality",
]
MODEL_OUTPUTS = {
    "consumption_anomalies": "consumption_anomalies",
    "region_clusters": "region_clusters",
    "consumption_forecasts": "consumption_forecasts",
    "model_metrics_forecasting": "model_metrics",
    "model_metrics_anomaly_detection": "model_metrics",
    "model_metrics_clustering": "model_metrics",
}


@pytest.mark.parametrize("name", INDICES)
def test_prod_indices_map_every_contract_column(name, data_dir):
    contract = CONTRACTS[name]
    entry = catalog_config("prod")[name]
    dataset = DataCatalog.from_config({name: entry}).get(name)
    assert isinstance(dataset, ElasticsearchIndexDataset)
    assert dataset._alias == name and dataset._id_fields == list(contract.key)
    properties = dataset._mappings["properties"]
    for column, kind in contract.columns.items():
        assert properties[column] == CONTRACT_FIELD_TYPES[kind], column
    if name == "prix_carburants_journalier":
        assert properties["location"] == {"type": "geo_point"}
        assert entry["geo_points"] == {"location": ["latitude", "longitude"]}


def test_explicit_mappings_override_the_contract_and_unknown_contracts_fail():
    dataset = ElasticsearchIndexDataset(
        contract="fusion_data_quality", index="quality_copy", mappings={"detail": "keyword"}
    )
    assert dataset._alias == "quality_copy" and dataset._id_fields == ["index", "check"]
    assert dataset._mappings["properties"]["detail"] == {"type": "keyword"}
    assert dataset._mappings["properties"]["rows_in"] == {"type": "long"}
    with pytest.raises(DatasetError, match="no contract for table 'nope'"):
        ElasticsearchIndexDataset(contract="nope")
    with pytest.raises(DatasetError, match="index name"):
        ElasticsearchIndexDataset()


@pytest.mark.parametrize("name", INDICES)
def test_default_indices_are_duckdb_tables_replaced_atomically(name, data_dir):
    entry = catalog_config(None)[name]
    key = list(CONTRACTS[name].key)
    assert entry["mode"] == "replace" and entry["key"] == key and entry["table"] == name
    dataset = DataCatalog.from_config({name: entry}).get(name)
    assert isinstance(dataset, DuckDBTableDataset)


@pytest.mark.parametrize(("dataset_name", "table"), sorted(MODEL_OUTPUTS.items()))
def test_model_output_tables_use_their_contract_key(dataset_name, table, data_dir):
    entry = catalog_config(None)[dataset_name]
    assert entry["table"] == table and entry["key"] == list(CONTRACTS[table].key)


def test_an_index_round_trips_through_the_default_store_with_a_date_day(data_dir, fusion_params):
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
    index, _ = weather_consumption_index(
        consumption, pd.DataFrame(columns=WEATHER_COLUMNS), fusion_params
    )
    entry = catalog_config(None)["meteo_consommation"]
    dataset = DataCatalog.from_config({"meteo_consommation": entry}).get("meteo_consommation")
    dataset.save(index)
    dataset.save(index)  # replace, not append
    loaded = dataset.load()
    assert len(loaded) == 1
    assert str(loaded.loc[0, "day"]) == "2024-03-31"
