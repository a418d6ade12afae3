"""Generator of realistic synthetic scanned charts with ground truth.

``content`` writes what a chart says (facts, layout blocks, clinical prose);
``render`` prints it on pages, scans it (degradation) and saves it as PDF, TIFF, PNG or
JPEG, filling the ground truth's ``text`` and ``pages``. Scans are generated, never
committed; the demo, tests, benchmarks and classifier training all draw from here.
"""
