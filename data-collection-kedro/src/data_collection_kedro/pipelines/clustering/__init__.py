"""Clustering of regions by consumption profile (KMeans and DBSCAN)."""

from .pipeline import create_pipeline

__all__ = ["create_pipeline"]
