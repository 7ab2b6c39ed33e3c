"""``etl_pipeline``: every declared source into the raw store, one node per source.

The nodes come from the source registry (``data_collection_kedro/sources/declarations/``).
Each node ``ingest_<source>`` reads ``source_<source>`` and writes its raw table(s),
``quarantine_<source>`` (every quarantine entry writes the ``raw_quarantine`` table) and
``ingestion_status_<source>`` (its row of the ``ingestion_status`` table) and
``ingested_files_<source>`` (what it read of each file; the node also reads that manifest,
``ingested_files``, to skip unchanged files), and is tagged with its source family (``consumption``, ``weather``, ``fuel``, ``strikes``,
``holidays``), so a scheduler can run ``kedro run --pipelines etl_pipeline --tags fuel`` or a
single node by name (``--nodes ingest_fuel_flux``).
"""

from __future__ import annotations

from kedro.pipeline import Node, Pipeline

from data_collection_kedro import phases
from data_collection_kedro.pipelines.etl_pipeline.nodes import ingest
from data_collection_kedro.sources import registry

ETL_PARAMS = "params:etl"
INGESTED_FILES = "ingested_files"  # the manifest of the files read by earlier runs


def create_pipeline(**kwargs: object) -> Pipeline:
    return Pipeline(
        [
            Node(
                ingest(source),
                inputs=[source.source_dataset, ETL_PARAMS, INGESTED_FILES],
                outputs=[
                    *source.output_datasets,
                    source.quarantine_dataset,
                    source.status_dataset,
                    source.files_dataset,  # last: written once the file's rows are stored
                ],
                name=source.node_name,
                tags=[source.family.name, phases.tag(phases.COLLECTION)],
            )
            for source in registry.sources()
        ]
    )
