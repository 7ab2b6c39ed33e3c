"""Shared modelling helpers: feature frames, inference, time splits, metrics, baselines,
estimators (the feature rules themselves are in ``domain.features``).

Every model pipeline (``anomaly_detection``, ``clustering``, ``forecasting``) builds on these
functions; the pipelines' nodes only wire them together with parameters.
"""
