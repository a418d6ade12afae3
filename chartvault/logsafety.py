"""Keep document content out of third-party debug logs.

pdfminer (under pdfplumber) logs the tokens it parses at DEBUG, which for a chart is
patient data. Whatever level an administrator sets, those records are dropped.
"""

from __future__ import annotations

import logging

_NOISY_PREFIXES = ("pdfminer", "pdfplumber", "PIL")


class _DropDebug(logging.Filter):
    """Let through only INFO and above."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno > logging.DEBUG


_FILTER = _DropDebug()


def silence_content_loggers() -> None:
    """Attach the filter to every existing logger of the libraries that parse documents."""
    for name in list(logging.Logger.manager.loggerDict):
        if name.startswith(_NOISY_PREFIXES):
            logger = logging.getLogger(name)
            if _FILTER not in logger.filters:
                logger.addFilter(_FILTER)
