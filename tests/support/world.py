"""A real archive for service tests: SQLite catalog, local object store, real accounts.

Documents are filed with ``file_document`` from born-digital PDFs made by the synthetic
generator (no OCR: these tests are about who may do what, not about reading scans).
Accounts are made the way a site makes them: ``bootstrap`` as the data directory's
owner, then the admin creates the others and each signs in with its one-time password,
a new password and (where its roles need it) a TOTP code computed with pyotp.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pyotp
from sqlalchemy import func, select

from chartvault.auth.roles import Role
from chartvault.catalog import Catalog
from chartvault.catalog.schema import audit_events
from chartvault.model import (
    Classification,
    Extraction,
    PageText,
    Patient,
    Provenance,
    Retention,
    Routing,
    sha256_hex,
)
from chartvault.pipeline.archive import file_document
from chartvault.pipeline.understand import Understanding
from chartvault.service import Service
from chartvault.settings import AuthSettings, Settings
from storage.local import LocalObjectStore

# argon2 costs cut for test speed only; timing tests compare like with like
FAST_ARGON2 = {"argon2_time_cost": 1, "argon2_memory_kib": 8192}


def password_of(username: str) -> str:
    return f"correct horse {username} battery"


@dataclass
class World:
    settings: Settings
    catalog: Catalog
    store: LocalObjectStore
    service: Service
    admin: str  # bearer of the admin's session
    totp: dict[str, str] = field(default_factory=dict)
    last_step: dict[str, int] = field(default_factory=dict)
    doc_ids: list[str] = field(default_factory=list)

    def code(self, username: str) -> str:
        """A TOTP code of a step this account has not used yet (at most current + 1)."""
        now = int(time.time() // 30)
        step = max(now, self.last_step.get(username, 0) + 1)
        assert step <= now + 1, "more than two codes asked within one 30 s step"
        self.last_step[username] = step
        return pyotp.TOTP(self.totp[username]).at(step * 30)

    def person(self, username: str, *roles: Role, intakes: tuple[str, ...] = ()) -> str:
        """Create an account with ``roles`` and sign it in; returns its session bearer."""
        got = self.service.create_account(self.admin, username, roles, intakes)
        if got.totp_secret:
            self.totp[username] = got.totp_secret
        assert got.one_time_password
        code = self.code(username) if got.totp_secret else None
        return self.service.sign_in(username, got.one_time_password, code,
                                    new_password=password_of(username)).bearer

    def sign_in(self, username: str) -> str:
        code = self.code(username) if username in self.totp else None
        return self.service.sign_in(username, password_of(username), code).bearer

    def events(self, after: int = 0) -> list[dict[str, Any]]:
        """Audit events after sequence ``after``, oldest first."""
        with self.catalog.engine.connect() as conn:
            rows = conn.execute(select(audit_events).where(audit_events.c.seq > after)
                                .order_by(audit_events.c.seq)).mappings().all()
        return [dict(r) for r in rows]

    def last_seq(self) -> int:
        with self.catalog.engine.connect() as conn:
            return int(conn.execute(select(func.max(audit_events.c.seq))).scalar() or 0)

    def last_event(self) -> dict[str, Any]:
        return self.events(self.last_seq() - 1)[-1]


def file_doc(world: World, n: int, *, retain_until: date | None, review: bool = False,
             intake: str = "default", mrn: str | None = None, family: str = "Testperson",
             given: str | None = None) -> str:
    """File one born-digital document; returns its id."""
    from chartvault.synth.content import make_document
    from chartvault.synth.render import render

    src = world.settings.data_dir / "src" / f"doc{n}.pdf"
    src.parent.mkdir(parents=True, exist_ok=True)
    render(make_document(9000 + n, "progress_note"), "pdf_text", src, seed=n)
    data = src.read_bytes()
    sha = sha256_hex(data)
    text = f"progress note {n} patient Testperson follow-up visit"
    u = Understanding(
        Classification(doc_type="progress_note", loinc="11506-3", confidence=0.93),
        Extraction(patient=Patient(family=family, given=given or f"Ann{n}",
                                   mrn=mrn or f"MRN{1000 + n}", birth_date=date(1970, 1, n))),
        review, ("identity_not_established",) if review else ())
    retention = Retention(policy_id="chartvault-default", policy_version="1",
                          rule_id="adult-10y.v1", retention_class="adult",
                          retain_until=retain_until, action="destroy")
    filed = file_document(
        store=world.store, catalog=world.catalog, source=src, sha256=sha, doc_id=sha[:24],
        pages=[PageText(index=0, method="text_layer", text=text)], understanding=u,
        routing=Routing(intake=intake, facility="Main Facility", jurisdiction="US"),
        provenance=Provenance(intake=intake, batch_id=f"b-{intake}", source_format="pdf_text",
                              captured_at=datetime.now(UTC), page_count=1,
                              size_bytes=len(data)),
        retention=retention, models={}, actor="svc:ingest")
    src.unlink()
    world.doc_ids.append(filed.doc_id)
    return filed.doc_id


def build_world(tmp_path: Path, catalog_url: str | None = None, **auth: object) -> World:
    data = tmp_path / "data"
    data.mkdir(parents=True, exist_ok=True)
    settings = Settings(data_dir=data, catalog_url=catalog_url,
                        auth=AuthSettings(**{**FAST_ARGON2, **auth}))
    catalog = Catalog(settings.sqlalchemy_url)
    catalog.create()
    store = LocalObjectStore(settings.objects_dir)
    service = Service(catalog, store, settings)
    boot = service.bootstrap("admin")
    assert boot.one_time_password and boot.totp_secret
    world = World(settings, catalog, store, service, admin="")
    world.totp["admin"] = boot.totp_secret
    world.admin = service.sign_in("admin", boot.one_time_password, world.code("admin"),
                                  new_password=password_of("admin")).bearer
    return world
