"""Shared modelling helpers: features, time splits, metrics, baselines, estimators.

Every model pipeline (``anomaly_detection``, ``clustering``, ``forecasting``) builds on these
functions; the pipelines' nodes only wire them together with parameters.
"""
