"""Prefect flows: ingest, and later fixity and retention."""
