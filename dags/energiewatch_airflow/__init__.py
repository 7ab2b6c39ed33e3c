"""Shared pieces of the EnergieWatch DAGs: Kedro runner, assets, defaults.

This package lives in the DAG folder (which Airflow puts on ``sys.path``) and is listed in
``.airflowignore`` so the DAG processor does not parse it for DAGs.
"""
