"""Deterministic offline sample data in the real sources' formats.

``generate(out_dir, ...)`` writes the consumption, gas load curve, weather, strike and
fuel-price files described in ``docs/data-contracts.md`` §1, the labelled anomalies
(``anomalies_ground_truth.csv``) and a ``manifest.json``. CLI:
``python -m data_collection_kedro.sample_data --out DIR``.
"""

from .generator import generate

__all__ = ["generate"]
