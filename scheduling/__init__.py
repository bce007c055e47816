"""Airflow-side helpers the DAG files use: failure notifiers and error classification."""
