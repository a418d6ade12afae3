"""Errors of chartvault.

Hierarchy::

    ChartvaultError            stable ``code``, message free of patient data
     ├── QuarantineError       an input cannot be archived; carries a QuarantineReason
     ├── StorageError          object store refused or failed
     │    ├── ObjectExists     write-once key already holds an object
     │    └── ObjectLocked     retention or legal hold forbids the change
     ├── IntegrityError        a checksum did not match after write or on re-read
     ├── PolicyError           retention policy files are invalid
     └── UserError             the request cannot be carried out as asked (CLI exit 2)
          └── NotFound         no such document, plan, hold, patient or file (CLI exit 3)

Messages never carry names, MRNs, dates of birth, OCR text or file names: they are
logged and may reach Prefect's database. Put document ids and hashes in them instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum


class QuarantineReason(StrEnum):
    """Why an intake file was set aside instead of archived (machine-readable)."""

    UNSUPPORTED_FORMAT = "unsupported_format"
    CORRUPT = "corrupt"
    ENCRYPTED = "encrypted"
    EMPTY = "empty"
    TOO_LARGE = "too_large"
    TOO_MANY_PAGES = "too_many_pages"
    INCOMPLETE = "incomplete"
    OCR_FAILED = "ocr_failed"
    NO_TEXT = "no_text"
    ARCHIVE_FAILED = "archive_failed"
    UNREADABLE = "unreadable"  # the file's permissions or the disk refused reading it
    NOT_REGULAR_FILE = "not_regular_file"  # symbolic link, FIFO, device: never followed
    IMAGE_TOO_LARGE = "image_too_large"  # pixels (as declared, or after upscaling) over cap
    DECOMPRESSION_BOMB = "decompression_bomb"  # decoded size out of all proportion to file
    REPEATED_FAILURE = "repeated_failure"  # the claim failed on every one of N runs
    DESTROYED_RECORD = "destroyed_record"  # bytes of a destroyed record: review, not dup
    INTERNAL_ERROR = "internal_error"  # an unexpected error while reading this file


READABLE_REASONS: dict[QuarantineReason, str] = {
    QuarantineReason.UNSUPPORTED_FORMAT: "not a PDF, TIFF, PNG or JPEG file",
    QuarantineReason.CORRUPT: "the file is damaged and cannot be decoded",
    QuarantineReason.ENCRYPTED: "the PDF is password-protected",
    QuarantineReason.EMPTY: "the file is empty or has no pages",
    QuarantineReason.TOO_LARGE: "the file is larger than the configured limit",
    QuarantineReason.TOO_MANY_PAGES: "the document has more pages than the configured limit",
    QuarantineReason.INCOMPLETE: "the file looks half-written (truncated)",
    QuarantineReason.OCR_FAILED: "text recognition failed on a page",
    QuarantineReason.NO_TEXT: "no page yielded any text",
    QuarantineReason.ARCHIVE_FAILED: "storing or cataloguing failed on every attempt",
    QuarantineReason.UNREADABLE: "the file could not be read (permissions or disk)",
    QuarantineReason.NOT_REGULAR_FILE: "not a regular file (link, FIFO or device); not read",
    QuarantineReason.IMAGE_TOO_LARGE: "a page image has more pixels than the limit",
    QuarantineReason.DECOMPRESSION_BOMB: "a page image would decode to far more than its size",
    QuarantineReason.REPEATED_FAILURE: "processing the file failed on several runs",
    QuarantineReason.DESTROYED_RECORD: "the same bytes as a destroyed record; needs review",
    QuarantineReason.INTERNAL_ERROR: "an unexpected error occurred while reading the file",
}


class ChartvaultError(Exception):
    """Base of all chartvault errors; ``code`` is stable across releases."""

    code = "chartvault_error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code


class QuarantineError(ChartvaultError):
    """An input file cannot be archived; the run goes on without it."""

    code = "quarantine"

    def __init__(self, reason: QuarantineReason, detail: str) -> None:
        super().__init__(f"{reason.value}: {detail}")
        self.reason = reason
        self.detail = detail

    def __reduce__(self) -> tuple[type[QuarantineError], tuple[QuarantineReason, str]]:
        """Cross process boundaries (pool workers) intact."""
        return (QuarantineError, (self.reason, self.detail))


class StorageError(ChartvaultError):
    """The object store failed or refused an operation."""

    code = "storage_error"


class StorageUnavailable(StorageError):
    """The object store could not be reached or answered 5xx: try again later."""

    code = "storage_unavailable"


class ObjectExists(StorageError):
    """A write-once key already holds an object."""

    code = "object_exists"


class ObjectLocked(StorageError):
    """Retention or a legal hold forbids deleting or overwriting an object."""

    code = "object_locked"


class IntegrityError(ChartvaultError):
    """A checksum did not match."""

    code = "integrity_error"


class PolicyError(ChartvaultError):
    """Retention policy files are invalid."""

    code = "policy_error"


class UserError(ChartvaultError):
    """A request refused or impossible as asked; the message tells the user what to do."""

    code = "user_error"


class NotFound(UserError):
    """The id, patient or file named does not exist (ids only in the message)."""

    code = "not_found"


class StepFailed(ChartvaultError):
    """A pipeline step failed; the message names the step and an id, nothing else."""

    code = "step_failed"


@contextmanager
def phi_safe(step: str, ref: str) -> Iterator[None]:
    """Re-raise foreign exceptions without their message (it may quote patient data).

    Third-party messages (pydantic, SQL drivers, spaCy) often echo the values they choke
    on. Our own errors are free of patient data by contract and pass through unchanged.
    """
    try:
        yield
    except ChartvaultError:
        raise
    except Exception as exc:
        raise StepFailed(f"{step} failed for {ref}: {type(exc).__name__}") from None
