"""Reports that combine several parts of the project.

``carbon_report`` (``make carbon-report``) puts the carbon summary of the pipeline runs
(:mod:`data_collection_kedro.carbon.summary`), the MLflow trade-off and the usage footprint
(:mod:`data_collection_kedro.usage`) together. It sits above both: ``usage`` reads the carbon
files, and ``carbon`` imports nothing from ``usage``.
"""
