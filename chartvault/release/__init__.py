"""Release of information: requests, their scope, packages, and the accounting of disclosures.

Plain functions over the catalog and the store; ``chartvault.service.release`` guards and
audits them. A package holds only documents inside the request's scope (``scope``): a
BagIt bag (``bag``) with the originals, searchable PDFs, one metadata JSON per document
and a FHIR R4 Bundle (``fhir``); a combined, stamped PDF for paper release (``paper``);
optionally an AES-encrypted zip of the bag (``encrypt``).
"""
