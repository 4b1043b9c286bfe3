"""Dagster asset definitions: a thin layer over the plain-Python domain code in ``pipelines``."""
