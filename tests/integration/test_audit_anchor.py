"""Anchors catch what the chain alone cannot: a consistent rewrite, a truncation, a
dropped tail. Real SQLite and PostgreSQL, a real local store (write-once, retained); the
tampering is done as a privileged database user would (triggers dropped first).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Connection, delete, select, text, update
from sqlalchemy.exc import DBAPIError

from chartvault import anchors
from chartvault.catalog import Catalog
from chartvault.catalog.audit import GENESIS, event_content, event_hash
from chartvault.catalog.schema import audit_events, audit_head
from chartvault.errors import IntegrityError, ObjectExists, ObjectLocked
from chartvault.events import anchor_key
from chartvault.settings import AuditSettings
from storage.local import LocalObjectStore
from tests.contract.conftest import moto_endpoint  # noqa: F401 - the moto S3 server fixture

_TRIGGERS = {
    "sqlite": ["DROP TRIGGER audit_no_update", "DROP TRIGGER audit_no_delete",
               "DROP TRIGGER audit_head_no_delete", "DROP TRIGGER audit_head_forward"],
    "postgresql": ["DROP TRIGGER audit_no_change ON audit_events",
                   "DROP TRIGGER audit_no_truncate ON audit_events",
                   "DROP TRIGGER audit_head_no_truncate ON audit_head",
                   "DROP TRIGGER audit_head_no_delete ON audit_head",
                   "DROP TRIGGER audit_head_forward ON audit_head"],
}


@dataclass
class Trail:
    """A catalog with 35 events; anchors at 1, 11, 21 (interval) and 30 (certificate)."""

    catalog: Catalog
    store: LocalObjectStore

    def verify(self) -> tuple[bool, int | None, str | None]:
        r = anchors.verify(self.catalog, self.store)
        return r.ok, r.first_bad_seq, r.problem


@pytest.fixture
def trail(catalog_url: str, tmp_path: Path) -> Iterator[Trail]:
    catalog = Catalog(catalog_url)
    catalog.create()
    store = LocalObjectStore(tmp_path / "objects")
    anchors.attach(catalog, store, AuditSettings(anchor_every_events=10))
    for i in range(30):
        catalog.audit(f"user{i % 3}", "search", [f"d{i}"], detail={"criteria": ["mrn"]})
    anchors.anchor_now(catalog, store, "certificate")
    for i in range(30, 35):
        catalog.audit("user0", "view_manifest", [f"d{i}"])
    yield Trail(catalog, store)
    catalog.close()


def _privileged(catalog: Catalog) -> Connection:
    conn = catalog.engine.connect()
    for ddl in _TRIGGERS[catalog.engine.dialect.name]:
        conn.execute(text(ddl))
    conn.commit()
    return conn


def _rechain(conn: Connection, from_seq: int, edit: dict[str, str]) -> None:
    """Edit one event and recompute every hash after it and the head: a consistent chain."""
    rows = conn.execute(select(audit_events).where(audit_events.c.seq >= from_seq)
                        .order_by(audit_events.c.seq)).all()
    prev = conn.execute(select(audit_events.c.hash).where(
        audit_events.c.seq == from_seq - 1)).scalar() or GENESIS
    for row in rows:
        content = event_content(row)
        if row.seq == from_seq:
            content.update(edit)
            conn.execute(update(audit_events).where(audit_events.c.seq == row.seq).values(edit))
        digest = event_hash(prev, content)
        conn.execute(update(audit_events).where(audit_events.c.seq == row.seq)
                     .values(prev_hash=prev, hash=digest))
        prev = digest
    conn.execute(update(audit_head).values(seq=rows[-1].seq, hash=prev))
    conn.commit()


def test_untouched_trail_verifies_against_its_anchors(trail: Trail) -> None:
    keys = list(trail.store.list("audit/anchors/"))
    assert keys == [anchor_key(s) for s in (1, 11, 21, 30)]
    report = anchors.verify(trail.catalog, trail.store)
    assert report.ok and report.events == 35
    assert (report.anchors, report.anchored_seq) == (4, 30)


def test_anchors_are_locked_objects(trail: Trail) -> None:
    key = anchor_key(30)
    info = trail.store.head(key)
    assert info is not None and info.retain_until is not None
    with pytest.raises(ObjectLocked):
        trail.store.delete(key)
    with pytest.raises(ObjectExists):
        trail.store.put(key, b'{"seq": 30}')
    anchored = anchors.load(trail.store)[-1]
    assert (anchored.seq, anchored.from_seq, anchored.reason) == (30, 22, "certificate")


def test_consistent_rewrite_is_caught_at_the_edited_event(trail: Trail) -> None:
    with _privileged(trail.catalog) as conn:
        _rechain(conn, 7, {"actor": "mallory"})
    assert trail.catalog.verify_audit().ok  # the chain alone is fooled
    ok, first_bad, problem = trail.verify()
    assert (ok, first_bad) == (False, 7) and problem is not None and "anchor" in problem


def test_rewrite_between_anchors_names_the_exact_event(trail: Trail) -> None:
    with _privileged(trail.catalog) as conn:
        _rechain(conn, 24, {"outcome": "refused"})
    assert trail.verify()[:2] == (False, 24)


def test_truncated_trail_is_caught_from_event_one(trail: Trail) -> None:
    dialect = trail.catalog.engine.dialect.name
    wipe = (["DELETE FROM audit_events", "DELETE FROM audit_head"] if dialect == "sqlite"
            else ["TRUNCATE audit_events, audit_head"])
    for sql in wipe:  # with the triggers in place, even the owner is refused
        with pytest.raises(DBAPIError, match="append-only"):
            with trail.catalog.transaction() as conn:
                conn.execute(text(sql))
    assert anchors.verify(trail.catalog, trail.store).ok
    with _privileged(trail.catalog) as conn:
        if dialect == "sqlite":
            conn.execute(delete(audit_events))
            conn.execute(delete(audit_head))
        else:
            conn.execute(text("TRUNCATE audit_events, audit_head"))
        conn.commit()
    assert trail.catalog.verify_audit().ok  # an empty chain is a valid chain
    assert trail.verify()[:2] == (False, 1)
    # a fresh chain started over the truncated one is caught too
    trail.catalog.after_audit = None
    for _ in range(3):
        trail.catalog.audit("mallory", "search")
    assert trail.verify()[:2] == (False, 1)


def test_dropped_tail_is_caught_at_the_first_missing_anchored_event(trail: Trail) -> None:
    with _privileged(trail.catalog) as conn:
        conn.execute(delete(audit_events).where(audit_events.c.seq > 25))
        h = conn.execute(select(audit_events.c.hash).where(audit_events.c.seq == 25)).scalar()
        conn.execute(update(audit_head).values(seq=25, hash=h))
        conn.commit()
    assert trail.catalog.verify_audit().ok  # the chain alone is fooled
    ok, first_bad, problem = trail.verify()
    assert (ok, first_bad) == (False, 26) and problem is not None and "missing" in problem


def test_dropped_middle_event_is_caught(trail: Trail) -> None:
    with _privileged(trail.catalog) as conn:
        conn.execute(delete(audit_events).where(audit_events.c.seq == 15))
        conn.commit()
    assert trail.verify()[:2] == (False, 15)


def test_anchoring_a_rewritten_head_is_refused(trail: Trail) -> None:
    """The head is back at an anchored sequence with another hash: no anchor over it."""
    with _privileged(trail.catalog) as conn:
        conn.execute(delete(audit_events).where(audit_events.c.seq > 30))
        conn.commit()
        _rechain(conn, 3, {"actor": "mallory"})
    with pytest.raises(IntegrityError) as err:
        anchors.anchor_now(trail.catalog, trail.store, "certificate")
    assert err.value.code == "audit_anchor_conflict"
    assert trail.verify()[:2] == (False, 3)


def test_anchor_is_due_by_count_or_age_and_never_twice(catalog_url: str, tmp_path: Path) -> None:
    catalog = Catalog(catalog_url)
    catalog.create()
    store = LocalObjectStore(tmp_path / "objects")
    assert anchors.anchor_now(catalog, store, "manual") is None  # empty chain
    settings = AuditSettings(anchor_every_events=100, anchor_every_minutes=60)
    catalog.audit("a", "search")
    assert anchors.anchor_if_due(catalog, store, settings) is not None  # first event
    catalog.audit("a", "search")
    assert anchors.anchor_if_due(catalog, store, settings) is None  # 1 event, 0 min
    aged = AuditSettings(anchor_every_events=100, anchor_every_minutes=1e-6)
    first = anchors.anchor_if_due(catalog, store, aged)
    assert first is not None and first.seq == 2 and first.from_seq == 2
    assert anchors.anchor_if_due(catalog, store, aged) is None  # nothing new
    again = anchors.anchor_now(catalog, store, "certificate")  # same head: the same anchor
    assert again is not None and again.key == first.key
    catalog.close()


def test_s3_anchor_is_locked_in_compliance_mode(
    catalog_url: str, moto_endpoint: str  # noqa: F811 - the fixture imported above
) -> None:
    """Even a store configured for GOVERNANCE locks anchors in COMPLIANCE (no bypass)."""
    import uuid

    from botocore.exceptions import ClientError

    from storage.s3 import S3ObjectStore

    store = S3ObjectStore(f"cv-anchor-{uuid.uuid4().hex[:8]}", endpoint_url=moto_endpoint,
                          access_key="test", secret_key="test", lock_mode="GOVERNANCE")
    catalog = Catalog(catalog_url)
    catalog.create()
    for _ in range(3):
        catalog.audit("a", "search")
    anchor = anchors.anchor_now(catalog, store, "certificate")
    assert anchor is not None and anchor.seq == 3
    head = store.client.head_object(Bucket=store.bucket, Key=anchor.key)
    assert head["ObjectLockMode"] == "COMPLIANCE"
    assert store.lock_mode == "GOVERNANCE"  # the records' mode is untouched
    version = head["VersionId"]
    with pytest.raises(ClientError, match=r"AccessDenied|ObjectLocked|InvalidRequest"):
        store.client.delete_object(Bucket=store.bucket, Key=anchor.key, VersionId=version,
                                   BypassGovernanceRetention=True)
    assert anchors.verify(catalog, store).ok
    catalog.close()


def test_cli_audit_anchor_and_verify_name_the_altered_event(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    from chartvault.auth.roles import Role
    from tests.support.people import ENV, sign_in_people

    env = {**os.environ, **ENV, "CHARTVAULT_DATA_DIR": str(tmp_path)}
    exe = [str(Path(sys.executable).parent / "chartvault"), "audit"]

    def cli(*args: str, token: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*exe, *args], env={**env, "CHARTVAULT_TOKEN": token or ""},
                              capture_output=True, text=True, timeout=120)

    assert "nothing to anchor" in cli("anchor").stdout  # maintenance: the data owner
    alice = sign_in_people(tmp_path, {"alice": (Role.AUDITOR,)})["alice"]
    catalog = Catalog(f"sqlite:///{tmp_path / 'catalog.db'}")
    for i in range(12):
        catalog.audit("alice", "search", [f"d{i}"])
    head = catalog.verify_audit().events  # the anchor command audits itself afterwards
    done = cli("anchor")
    assert done.returncode == 0 and f"anchored event {head} " in done.stdout
    ok = cli("verify", token=alice)
    assert ok.returncode == 0 and "chain intact" in ok.stdout and f"1..{head}" in ok.stdout
    assert cli("verify").returncode == 6  # nobody signed in: no identity, no verdict
    with _privileged(catalog) as conn:
        _rechain(conn, 5, {"actor": "mallory"})
    bad = cli("verify", token=alice)
    assert bad.returncode == 1 and "BROKEN at event 5" in bad.stdout
    assert "mallory" not in bad.stdout + bad.stderr
    catalog.close()


def test_attach_settings_anchors_into_the_configured_store(tmp_path: Path) -> None:
    from chartvault.settings import Settings

    settings = Settings(data_dir=tmp_path, audit=AuditSettings(anchor_every_events=5))
    catalog = Catalog(settings.sqlalchemy_url)
    catalog.create()
    anchors.attach_settings(catalog, settings)
    for _ in range(7):
        catalog.audit("a", "search")
    store = LocalObjectStore(settings.objects_dir)
    assert list(store.list("audit/anchors/")) == [anchor_key(1), anchor_key(6)]
    assert anchors.verify(catalog, store).anchored_seq == 6
    catalog.close()


def test_first_anchor_of_a_long_trail_lists_its_newest_events(
    catalog_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A trail older than its anchors: an edit before the first listed event is caught at it."""
    monkeypatch.setattr(anchors, "MAX_HASHES", 5)
    catalog = Catalog(catalog_url)
    catalog.create()
    store = LocalObjectStore(tmp_path / "objects")
    for _ in range(12):
        catalog.audit("a", "search")
    anchor = anchors.anchor_now(catalog, store, "manual")
    assert anchor is not None and (anchor.from_seq, anchor.seq) == (8, 12)
    with _privileged(catalog) as conn:
        _rechain(conn, 3, {"actor": "mallory"})
    assert anchors.verify(catalog, store).first_bad_seq == 8
    catalog.close()


def test_head_moved_back_over_newer_events_is_caught(trail: Trail) -> None:
    with _privileged(trail.catalog) as conn:
        h = conn.execute(select(audit_events.c.hash).where(audit_events.c.seq == 33)).scalar()
        conn.execute(update(audit_head).values(seq=33, hash=h))
        conn.commit()
    ok, first_bad, problem = trail.verify()
    assert (ok, first_bad) == (False, 34) and problem == "events beyond the chain head"
