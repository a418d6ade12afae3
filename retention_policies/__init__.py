"""retention_policies room."""
