"""Settings, one class per area, read once at the entry point and passed down.

Sources, strongest first: environment (``CHARTVAULT_*``, nested with ``__``, e.g.
``CHARTVAULT_S3__ENDPOINT_URL``), then ``chartvault.toml`` in the data directory (or the
file named by ``CHARTVAULT_CONFIG``), then defaults. Secrets are ``SecretStr`` so they
never print.
"""

from __future__ import annotations

import getpass
import os
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)


def _default_data_dir() -> Path:
    return Path(os.environ.get("CHARTVAULT_DATA_DIR", Path.cwd() / "chartvault-data"))


def _config_file() -> Path:
    explicit = os.environ.get("CHARTVAULT_CONFIG")
    return Path(explicit) if explicit else _default_data_dir() / "chartvault.toml"


if TYPE_CHECKING:
    from extractors.ocr import OcrOptions


class IntakeFolder(BaseModel):
    """An intake folder and the routing stamped on every document it yields."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(description="Label used in manifests and logs (never a path).")
    path: Path | None = Field(None, description="Folder; default <data_dir>/intake/<name>.")
    facility: str = Field("Main Facility", description="Facility that owns these records.")
    jurisdiction: str = Field("US", description="Jurisdiction for retention, e.g. US-CA.")
    doc_type_hint: str | None = Field(None, description="Type to prefer when unsure.")
    station: str | None = Field(None, description="Scan station id, for provenance.")
    operator: str | None = Field(None, description="Scanning operator, for provenance.")


class OcrSettings(BaseModel):
    """Page loading and OCR."""

    model_config = ConfigDict(extra="forbid")

    jobs: int = Field(0, description="Worker processes for pages; 0 = number of cores.")
    language: str = Field("eng", description="Tesseract language(s).")
    page_timeout_s: float = Field(300.0, description="Tesseract time limit per page.")
    max_file_mb: float = Field(1024.0, description="Larger files are quarantined.")
    max_pages: int = Field(2000, description="Documents with more pages are quarantined.")
    cleanup: bool = Field(True, description="OpenCV deskew/orientation/denoise before OCR.")

    def worker_count(self) -> int:
        """Processes to use for OCR."""
        return self.jobs if self.jobs > 0 else max(1, os.cpu_count() or 1)

    def options(self) -> OcrOptions:
        """How the page workers read pages under these settings."""
        from extractors.ocr import OcrOptions

        return OcrOptions(language=self.language, timeout_s=self.page_timeout_s,
                          cleanup=self.cleanup)

    @property
    def max_bytes(self) -> int:
        """``max_file_mb`` in bytes."""
        return int(self.max_file_mb * (1 << 20))


class S3Settings(BaseModel):
    """S3-compatible object store (MinIO, AWS S3, Ceph RGW)."""

    model_config = ConfigDict(extra="forbid")

    endpoint_url: str | None = None
    region: str = "us-east-1"
    bucket: str = "chartvault"
    access_key: SecretStr | None = None
    secret_key: SecretStr | None = None
    verify_tls: bool = True
    lock_mode: Literal["GOVERNANCE", "COMPLIANCE"] = "GOVERNANCE"
    sse_kms_key_id: str | None = Field(None, description="SSE-KMS key (MinIO KES, AWS KMS).")
    sse_customer_key: SecretStr | None = Field(None, description="SSE-C key (32 bytes).")


class ScheduleSettings(BaseModel):
    """When the administrators' flows run under ``chartvault serve`` (cron or interval)."""

    model_config = ConfigDict(extra="forbid")

    watch_intake: bool = Field(
        True, description="Ingest files as they settle, in serve's own warm process; the "
        "ingest-poll deployment then runs only when triggered.")
    watch_poll_s: float = Field(
        0.25, description="Seconds between looks at the intake folders (a look costs ~11 us).")
    ingest_interval_s: float | None = Field(300.0, description="Poll intake every N seconds.")
    ingest_cron: str | None = Field(None, description="Or poll intake on this cron.")
    fixity_cron: str | None = Field("0 3 * * 0", description="Fixity check (Sun 03:00).")
    retention_sweep_cron: str | None = Field("0 2 * * *", description="Retention sweep.")
    timezone: str = Field("UTC", description="Time zone of the cron expressions.")
    server_port: int = Field(4200, description="Port of the long-lived Prefect server.")


class AuthSettings(BaseModel):
    """Accounts, sign-in and tokens (see chartvault/auth)."""

    model_config = ConfigDict(extra="forbid")

    max_failures: int = Field(5, description="Failed sign-ins in a row that lock an account.")
    lockout_minutes: float = Field(15.0, description="How long a locked account stays locked.")
    session_idle_minutes: float = Field(15.0, description="A sign-in session ends when idle.")
    token_days: int = Field(90, description="Default lifetime of an API token.")
    max_token_days: int = Field(365, description="Longest lifetime an API token may ask for.")
    hold_release_second_person: bool = Field(
        False, description="A hold is released only when a second legal account confirms.")
    min_password_length: int = Field(12, description="Shortest password accepted.")
    totp_key: SecretStr | None = Field(
        None, description="Key sealing TOTP secrets (base64, 32 bytes); give every process "
        "at scale-out the same one. None: <data_dir>/totp.key, made on first use.")
    argon2_time_cost: int = Field(3, description="argon2id passes (RFC 9106 low-memory: 3).")
    argon2_memory_kib: int = Field(65536, description="argon2id memory (64 MiB).")
    oidc_issuer: str | None = Field(None, description="OpenID Connect issuer URL; None: off.")
    oidc_client_id: str | None = None
    oidc_client_secret: SecretStr | None = None
    oidc_redirect_uri: str = Field("http://127.0.0.1:8765/callback",
                                   description="Where the provider sends the browser back.")
    oidc_username_claim: str = Field(
        "preferred_username", description="ID-token claim naming the local account.")
    oidc_mfa_amr: list[str] = Field(
        default_factory=lambda: ["mfa", "otp", "hwk", "swk"],
        description="amr values that count as a second factor done at the provider.")


class AuditSettings(BaseModel):
    """When the audit chain head is anchored in object storage (``chartvault.anchors``)."""

    model_config = ConfigDict(extra="forbid")

    anchor_every_events: int = Field(
        1000, ge=1, description="Anchor after this many events since the last anchor.")
    anchor_every_minutes: float = Field(
        60.0, gt=0, description="Or when the last anchor is older than this (and events came).")
    anchor_retain_days: int = Field(
        2557, ge=1, description="Anchors are locked this long (HIPAA 164.316(b)(2): 6 years).")


class RegistrySettings(BaseModel):
    """The master patient index documents are linked to (see ``extractors.registry``)."""

    model_config = ConfigDict(extra="forbid")

    path: Path | None = Field(
        None, description="Patient registry: FHIR R4 Patient NDJSON (Bulk Data export) or "
        "HL7 v2 ADT A04/A08 messages; none: plain extraction only.")


class ReleaseSettings(BaseModel):
    """Release of information (``chartvault.release``)."""

    model_config = ConfigDict(extra="forbid")

    due_days: int = Field(
        30, ge=1, description="Days to answer a request (HIPAA 164.524(b)(2): 30; a state "
        "law or site policy may set fewer).")
    due_soon_days: int = Field(7, ge=0, description="Open requests due within this many "
                                                    "days are listed as due soon.")
    accounting_years: int = Field(
        6, ge=1, description="Years an accounting of disclosures covers (HIPAA 164.528: 6).")
    fhir_page_size: int = Field(50, ge=1, le=1000,
                                description="DocumentReference search results per page.")


class WebSettings(BaseModel):
    """The web app and JSON API that ``chartvault serve`` runs."""

    host: str = Field("127.0.0.1", description="Address to listen on (behind a TLS proxy).")
    port: int = Field(8765, description="Port of the web app and the API.")
    secure_cookies: bool = Field(
        True, description="Mark the session cookie Secure (browsers accept it on localhost).")
    api_url: str | None = Field(
        None, description="A running `chartvault serve` (e.g. http://127.0.0.1:8765): "
        "people's CLI commands then call its API. None: the CLI opens the archive itself.")


class Settings(BaseSettings):
    """All of chartvault's settings."""

    model_config = SettingsConfigDict(
        env_prefix="CHARTVAULT_", env_nested_delimiter="__", extra="forbid"
    )

    data_dir: Path = Field(default_factory=_default_data_dir)
    user: str = Field(default_factory=getpass.getuser, description=(
        "Actor of the service account's own runs (the CLI sets it to svc:<login> for "
        "maintenance verbs); never a person's identity: people sign in."))
    catalog_url: str | None = Field(None, description="SQLAlchemy URL; default SQLite.")
    store: Literal["local", "s3"] = "local"
    s3: S3Settings = S3Settings()
    ocr: OcrSettings = OcrSettings()
    schedules: ScheduleSettings = ScheduleSettings()
    auth: AuthSettings = AuthSettings()
    audit: AuditSettings = AuditSettings()
    registry: RegistrySettings = RegistrySettings()
    release: ReleaseSettings = ReleaseSettings()
    web: WebSettings = WebSettings()
    intakes: list[IntakeFolder] = Field(default_factory=lambda: [IntakeFolder(name="default")])
    review_threshold: float = Field(0.5, description="Below this type confidence: review.")
    classifier_model: Path | None = Field(
        None, description="Document-type model written by `chartvault train` (default: the "
        "shipped model built by set-up).")
    keep_processed: bool = Field(
        False, description="Keep intake copies under processed/ after archiving (else delete)."
    )
    settle_seconds: float = Field(
        2.0, description="A file must be unchanged this long before it is claimed."
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Environment beats the TOML file, which beats defaults."""
        toml = TomlConfigSettingsSource(settings_cls, toml_file=_config_file())
        return (init_settings, env_settings, toml)

    def ensure_data_dir(self) -> Path:
        """Create the data directory if needed, readable by its owner only (0700)."""
        self.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(self.data_dir, 0o700)
        return self.data_dir

    @cached_property
    def sqlalchemy_url(self) -> str:
        """The catalog URL, SQLite under the data directory by default."""
        return self.catalog_url or f"sqlite:///{self.data_dir / 'catalog.db'}"

    def intake_path(self, intake: IntakeFolder) -> Path:
        """Folder watched for an intake."""
        return intake.path or self.data_dir / "intake" / intake.name

    @property
    def objects_dir(self) -> Path:
        """Root of the local object store."""
        return self.data_dir / "objects"

    @property
    def quarantine_dir(self) -> Path:
        """Where unreadable inputs go, each with a reason file."""
        return self.data_dir / "quarantine"

    @property
    def processing_dir(self) -> Path:
        """Claimed files, one folder per document id, until archived."""
        return self.data_dir / "processing"

    @property
    def processed_dir(self) -> Path:
        """Intake copies kept after their archived copy is verified and catalogued."""
        return self.data_dir / "processed"
