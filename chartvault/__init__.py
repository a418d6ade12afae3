"""chartvault: paper medical records into a searchable, policy-governed archive.

The package holds the application: settings, domain model, catalog, CLI. The pipeline
stages live in the sibling packages ``extractors``, ``classifiers``, ``storage`` and
``retention_policies``; ``flows`` composes them with Prefect. Importing this package must
stay cheap (no Prefect, no spaCy) because worker processes import it.
"""

__version__ = "0.1.0"
