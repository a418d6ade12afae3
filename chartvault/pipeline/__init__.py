"""Ingest pipeline steps as plain functions; flows/ composes them with Prefect."""
