"""Clustering of regions by consumption profile (KMeans and DBSCAN)."""

from data_collection_kedro.pipelines.clustering.pipeline import create_pipeline

__all__ = ["create_pipeline"]
