"""extractors room."""
