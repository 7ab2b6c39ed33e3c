"""Data fusion pipeline: raw tables -> meteo_consommation, consommation_mouvements,
prix_carburants_journalier, previsions_meteo, previsions_meteo_nationales,
consommation_nationale and fusion_data_quality indices."""

from .pipeline import create_pipeline

__all__ = ["create_pipeline"]
