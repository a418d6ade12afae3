"""Command line: ``chartvault COMMAND``, a thin adapter over ``chartvault.service.Service``.

A person's command acts as the account signed in with ``chartvault login`` (or the API
token in ``CHARTVAULT_TOKEN``): the service verifies it, checks the role matrix, does the
work and audits it. Maintenance verbs (ingest, watch, serve, demo, migrate, catalog
rebuild, audit anchor) run as the service account, the OS user owning the data
directory. Files are created owner-only (umask 077).

The CLI prints patient data only where the user asked for it (search results,
``analyze``); logs stay free of it. A user error ends with one line on stderr and a
documented exit status (``EXIT``, README "Exit codes"); a traceback only with ``-v``.
"""

from __future__ import annotations

import argparse
import atexit
import itertools
import json
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any, NoReturn

from chartvault import cli_accounts, cli_release, cli_session, cli_work, runtime
from chartvault.errors import ChartvaultError, NotFound, UserError
from chartvault.exitcodes import (
    EXIT_CHECK_FAILED,
    EXIT_FAILED,
    EXIT_INCOMPLETE,
    EXIT_INTERRUPTED,
    EXIT_NOT_FOUND,
    EXIT_OK,
    EXIT_USER,
)
from chartvault.exitcodes import status as _status
from chartvault.settings import Settings

__all__ = ["EXIT_CHECK_FAILED", "EXIT_FAILED", "EXIT_INCOMPLETE", "EXIT_INTERRUPTED",
           "EXIT_NOT_FOUND", "EXIT_OK", "EXIT_USER", "build_parser", "main", "run"]


def _settings(args: argparse.Namespace) -> Settings:
    settings = Settings()
    runtime.prepare(settings, verbose=getattr(args, "verbose", False))
    return settings


def _catalog(settings: Settings) -> Any:
    from chartvault import anchors
    from chartvault.catalog import Catalog

    catalog = Catalog(settings.sqlalchemy_url)
    catalog.create()
    anchors.attach_settings(catalog, settings)
    return catalog


def _service(settings: Settings) -> Any:
    from chartvault.service import Service
    from storage.factory import open_store

    return Service(_catalog(settings), open_store(settings), settings)


def _people_service(settings: Settings) -> Any:
    """The running server's API when ``web.api_url`` is set, else the service in-process."""
    if settings.web.api_url:
        from chartvault.client import ApiClient

        return ApiClient(settings.web.api_url)
    return _service(settings)


def _close(service: Any) -> None:
    """Release the archive (in-process) or the connection (API client)."""
    from chartvault.client import ApiClient

    if isinstance(service, ApiClient):
        service.close()
    else:
        service.catalog.close()


def _person(args: argparse.Namespace) -> tuple[Any, str]:
    """The service and the bearer this person presents (checked by every service call)."""
    settings = _settings(args)
    bearer = cli_session.bearer()  # no credential: refused before the archive is opened
    return _people_service(settings), bearer


def _maintenance(args: argparse.Namespace, verb: str) -> tuple[Settings, Any]:
    """Settings and service of a maintenance verb, run as the data directory's owner.

    Refused (and audited) for any other OS user. The flows this process runs build their
    own settings, so the service account's name reaches them through the environment.
    """
    settings = _settings(args)
    settings.ensure_data_dir()
    service = _service(settings)
    svc = service.maintenance(verb)
    os.environ["CHARTVAULT_USER"] = svc.username
    settings.user = svc.username
    return settings, service


# --- ingest ------------------------------------------------------------------------------


def _can_fork() -> bool:
    """Whether OCR workers may be forked from this process (see ``extractors.pool``).

    Nothing has loaded OpenCV (let alone run it) nor started a thread. Checked, not
    assumed: the CLI also runs inside test sessions and other programs.
    """
    return threading.active_count() == 1 and "cv2" not in sys.modules


def _warm_start(settings: Settings, intake_name: str | None,
                settle_seconds: float | None = None) -> None:
    """Bring the OCR workers up, and read the first waiting files, while Prefect starts.

    Only the first intake folder the flow will take is read ahead (one file per worker);
    the files stay where they are until the flow claims them.
    """
    settle = settings.settle_seconds if settle_seconds is None else settle_seconds
    fork = _can_fork()
    from chartvault.pipeline.intake import ready_files
    from extractors.pool import prestart

    workers = settings.ocr.worker_count()
    intakes = [i for i in settings.intakes if intake_name in (None, i.name)]
    ahead = []
    if intakes:
        files = ready_files(settings.intake_path(intakes[0]), settle)
        ahead = list(itertools.islice(files, workers))
    prestart(workers, ahead, settings.ocr.options(), settings.ocr.max_pages,
             settings.ocr.max_bytes, fork=fork)


def _check_intake(settings: Settings, name: str | None) -> None:
    """Refuse an unknown intake name at once (before workers and Prefect start)."""
    names = [i.name for i in settings.intakes]
    if name is not None and name not in names:
        raise NotFound(f"no intake named {name!r}; configured: {', '.join(names) or 'none'}")


def _with_registry(args: argparse.Namespace) -> None:
    """``--registry FILE`` beats settings.

    Set in the environment so the flow's own ``Settings()`` (ingest builds its settings
    inside the flow) sees it too.
    """
    if getattr(args, "registry", None) is not None:
        os.environ["CHARTVAULT_REGISTRY__PATH"] = str(args.registry.resolve())


def cmd_ingest(args: argparse.Namespace) -> int:
    _with_registry(args)
    settings, service = _maintenance(args, "ingest")
    service.catalog.close()
    _check_intake(settings, args.intake)
    _warm_start(settings, args.intake)
    from flows.ingest import ingest

    t0 = time.perf_counter()
    with runtime.foreground_run():
        batches = ingest(intake=args.intake)
    elapsed = time.perf_counter() - t0
    _report(batches, elapsed, settings)
    return 0


def _report(batches: list[dict[str, Any]], seconds: float, settings: Settings) -> None:
    total_pages = sum(b["pages"] for b in batches)
    for b in batches:
        if b.get("busy"):
            print(f"intake {b['intake']}: another run is ingesting it; nothing claimed")
            continue
        print(f"batch {b['batch_id']} (intake {b['intake']}): {b['archived']} archived, "
              f"{b['duplicates']} duplicate, {b['quarantined']} quarantined, "
              f"{b['needs_review']} flagged needs_review; {b['pages']} pages")
        for doc_type, n in sorted(b["types"].items()):
            print(f"    {n:4d}  {doc_type}")
        if b.get("failed"):
            print(f"  {b['failed']} file(s) could not be filed and stay in custody for the next "
                  f"run: claims {', '.join(b['failed_claims'])}")
        _report_outage(b)
    catalog = _catalog(settings)
    try:
        for b in batches:
            for row in catalog.quarantined(b["batch_id"]):
                print(f"  quarantined {row['quarantine_id']}: {row['reason']} ({row['detail']}) "
                      f"-> {settings.data_dir / row['folder']}")
    except Exception as err:
        from chartvault.pipeline.outage import outage_of

        if outage_of(err) is None:
            raise
        print("  (the quarantine list cannot be shown: the catalog is unavailable)")
    finally:
        catalog.close()
    rate = total_pages / seconds if seconds else 0.0
    print(f"time: {seconds:.1f} s ({rate:.2f} pages/s); data directory: {settings.data_dir}")


def _report_outage(b: dict[str, Any]) -> None:
    """What a storage or catalog outage did to a batch: retries, documents deferred."""
    storage, catalog = b.get("deferred_storage", 0), b.get("deferred_catalog", 0)
    if not (storage or catalog or b.get("retried")):
        return
    print(f"  outage: {b.get('retried', 0)} attempt(s) retried with backoff; "
          f"{storage} document(s) deferred because the object store was unavailable, "
          f"{catalog} because the catalog was; deferred documents stay in custody (not "
          "quarantined) and the next run files them")


def cmd_watch(args: argparse.Namespace) -> int:
    settings, service = _maintenance(args, "watch")
    service.catalog.close()
    from chartvault.watch import IntakeWatcher, handled

    def report(batch: dict[str, Any], seconds: float) -> None:
        if args.json:
            keys = ("batch_id", "intake", "busy", "archived", "duplicates", "quarantined",
                    "needs_review", "pages", "failed", "retried", "deferred_storage",
                    "deferred_catalog")
            print(json.dumps({**{k: batch[k] for k in keys}, "seconds": round(seconds, 3)}),
                  flush=True)
        elif handled(batch) or batch["failed"] or batch.get("deferred_storage") \
                or batch.get("deferred_catalog"):
            _report([batch], seconds, settings)  # (a pass that found nothing says nothing)
            sys.stdout.flush()

    poll = settings.schedules.watch_poll_s if args.poll is None else args.poll
    watcher = IntakeWatcher(settings, report, poll_s=poll)
    stop = threading.Event()
    # SIGTERM: finish the current run, then stop. The handler must not set the event
    # itself: it runs in the main thread, which may be inside ``stop.wait`` holding the
    # event's lock (a deadlock the process test hit about once in eight runs).
    signal.signal(signal.SIGTERM,
                  lambda *_: threading.Thread(target=stop.set, daemon=True).start())
    try:
        watcher.warm(fork=_can_fork())
        watcher.run_once()  # claims left in custody by a crashed run come first
        names = ", ".join(i.name for i in settings.intakes)
        print(f"watching intake {names} every {poll:g} s; Ctrl-C to stop", flush=True)
        watcher.serve_forever(stop, first_pass=False)
    except KeyboardInterrupt:
        pass
    finally:
        watcher.close()
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    settings, service = _maintenance(args, "demo")
    from chartvault.synth.badfiles import make_bad_inputs
    from chartvault.synth.batch import generate_batch, write_truth

    intake = settings.intakes[0]
    folder = settings.intake_path(intake)
    folder.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    rows = generate_batch(folder, args.docs, seed=args.seed, jobs=settings.ocr.worker_count())
    write_truth(rows, settings.data_dir / "demo-truth.jsonl")
    if not args.no_bad:
        bad_dir = settings.data_dir / "demo-bad"
        make_bad_inputs(bad_dir)
        for i, p in enumerate(sorted(bad_dir.iterdir())[:3]):
            p.rename(folder / f"bad_{i}{p.suffix}")
    print(f"generated {len(rows)} sample scans in {time.perf_counter() - t0:.1f} s into {folder}")
    old = settings.settle_seconds
    os.environ["CHARTVAULT_SETTLE_SECONDS"] = "0"  # just written by us, complete
    _warm_start(settings, intake.name, settle_seconds=0)
    from flows.ingest import ingest

    t1 = time.perf_counter()
    with runtime.foreground_run():
        batches = ingest(intake=intake.name)
    _report(batches, time.perf_counter() - t1, settings)
    os.environ["CHARTVAULT_SETTLE_SECONDS"] = str(old)
    _first_admin(service)
    service.catalog.close()
    return 0


def _first_admin(service: Any) -> None:
    """End of the demo: the first admin (shown once) and how to sign in."""
    if service.has_admin():
        print("sign in: .venv/bin/chartvault login --username NAME (an admin exists already)")
        return
    got = service.bootstrap("admin")
    cli_accounts.print_enrolment(got)
    print("sign in: .venv/bin/chartvault login --username admin  (the one-time password, "
          "then a TOTP code; you choose a new password)")
    print("then give people accounts, e.g.: .venv/bin/chartvault account create alice "
          "--role auditor; alice signs in and runs: .venv/bin/chartvault search --type "
          "discharge_summary")


def cmd_generate(args: argparse.Namespace) -> int:
    from chartvault.synth.batch import generate_batch, write_truth

    args.out.mkdir(parents=True, exist_ok=True)
    rows = generate_batch(args.out, args.docs, seed=args.seed, jobs=args.jobs)
    if args.truth:
        write_truth(rows, args.truth)
    print(f"generated {len(rows)} documents into {args.out}")
    return 0


# --- search and retrieval ------------------------------------------------------------


def cmd_search(args: argparse.Namespace) -> int:
    from chartvault.catalog import SearchCriteria
    from chartvault.search_terms import parse_day, parse_dob

    criteria = SearchCriteria(
        mrn=args.mrn, facility=args.facility, name=args.name, dob=parse_dob(args.dob),
        doc_type=args.type, date_from=parse_day(args.date_from, "--from"),
        date_to=parse_day(args.date_to, "--to"),
        text=" ".join(args.text) if args.text else None, limit=args.limit,
        offset=args.offset,
    )
    if not criteria.fields_used():
        print("give at least one criterion (see --help)", file=sys.stderr)
        return 2
    service, bearer = _person(args)
    found = service.search_page(bearer, criteria)
    for warning in found.warnings:
        print(f"chartvault: warning: {warning}", file=sys.stderr)
    hits = found.hits
    for h in hits:
        r = h.row
        if args.json:
            print(json.dumps({k: (v.isoformat() if hasattr(v, "isoformat") else v)
                              for k, v in dict(r).items()}, default=str))
        else:
            name = f"{r['patient_family'] or '?'}, {r['patient_given'] or '?'}"
            when = r["service_date"] or r["document_date"] or ""
            flag = " REVIEW" if r["needs_review"] else ""
            print(f"{r['doc_id']}  {r['doc_type']:26s} {when!s:10s}  MRN {r['mrn'] or '-':10s} "
                  f"{name}  ({r['pages']} p){flag}")
    more = f"; more: --offset {criteria.offset + len(hits)}" if found.has_more else ""
    print(f"{len(hits)} document(s){more}", file=sys.stderr)
    return 0


def _purpose_arg(s: argparse.ArgumentParser) -> None:
    from chartvault.access import Purpose

    s.add_argument("--purpose", choices=[p.value for p in Purpose],
                   help="purpose of use, kept in the audit trail")


def cmd_retrieve(args: argparse.Namespace) -> int:
    from chartvault.access import NotFound

    service, bearer = _person(args)
    try:
        got = service.retrieve(bearer, args.doc_id, args.out, args.purpose)
    except NotFound as err:
        print(f"chartvault: {err}", file=sys.stderr)
        return EXIT_NOT_FOUND
    print(f"{got.path}  sha256 {got.sha256}  {got.size} bytes (verified)")
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    service, bearer = _person(args)
    print(service.show(bearer, args.doc_id, args.purpose).decode())
    return 0


# --- analysis, training ----------------------------------------------------------------


def cmd_analyze(args: argparse.Namespace) -> int:
    _with_registry(args)
    settings = _settings(args)
    from chartvault.analyze import analyze, dumps

    out = args.output.open("w") if args.output else sys.stdout
    n = 0
    for record in analyze(args.paths, settings):
        n += 1
        if args.jsonl:
            out.write(dumps(record) + "\n")
        elif "error" in record:
            out.write(f"{record['file']}: quarantine ({record['error']['reason']})\n")
        else:
            p = record["patient"]
            out.write(f"{record['file']}: {record['doc_type']} "
                      f"({record['chartvault']['type_confidence']:.2f}) "
                      f"{p['family']}, {p['given']} MRN {p['mrn']} DOB {p['birth_date']} "
                      f"pages {record['pages']}\n")
        out.flush()
    if args.output:
        out.close()
    print(f"{n} document(s) analysed", file=sys.stderr)
    return 0


def _need_files(*named: tuple[str, Path]) -> None:
    """Missing input files, named by option (a file name may be a patient's name)."""
    for option, path in named:
        if not path.exists():
            raise NotFound(f"{option}: no such file")


def cmd_evaluate(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    from chartvault.evaluation import evaluate_rows, format_report, read_jsonl

    _need_files(("--truth", args.truth), ("--pred", args.pred))
    rep = evaluate_rows(read_jsonl(args.truth), read_jsonl(args.pred))
    if args.json:
        print(json.dumps({**asdict(rep), "fields_exact": rep.fields_exact}, indent=2))
    else:
        print(format_report(rep))
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    from classifiers.doctype import train_from_labeled

    _need_files(("--labeled", args.labeled))
    try:
        report = train_from_labeled(args.labeled, args.out)
    except ValueError as err:  # only the label check's message: it names labels, no text
        if not str(err).startswith("unknown document types"):
            raise
        raise UserError(f"--labeled: {err}") from None
    print(json.dumps(report, indent=2, default=str))
    return 0


def cmd_audit_verify(args: argparse.Namespace) -> int:
    service, bearer = _person(args)
    report = service.audit_verify(bearer)
    state = ("intact" if report.ok
             else f"BROKEN at event {report.first_bad_seq}: {report.problem}")
    print(f"audit trail: {report.events} events, chain {state}; {report.anchors} anchors "
          f"in storage vouch for events 1..{report.anchored_seq}")
    return EXIT_OK if report.ok else EXIT_CHECK_FAILED


def cmd_audit_anchor(args: argparse.Namespace) -> int:
    _, service = _maintenance(args, "audit_anchor")
    anchor = service.anchor()
    print("audit trail is empty: nothing to anchor" if anchor is None
          else f"anchored event {anchor.seq} ({anchor.hash[:16]}...) at {anchor.key}")
    return EXIT_OK


def cmd_verify(args: argparse.Namespace) -> int:
    service, bearer = _person(args)
    r = service.fixity(bearer)
    print(f"fixity: {r.documents} documents, {r.objects} objects, {r.bytes / 1e6:.1f} MB read")
    print(f"  {r.renditions} rendition(s) checked, {r.tombstones} tombstone(s) present, "
          f"{len(r.purged)} object(s) removed by recorded purges (expected absent)")
    for label, keys in (("missing", r.missing), ("changed", r.changed),
                        ("untracked", r.untracked)):
        for key in keys:
            print(f"  {label}: {key}")
    if args.list_purged:
        for key in r.purged:
            print(f"  purged: {key}")
    print("all objects intact" if r.ok else "FIXITY PROBLEMS FOUND")
    return EXIT_OK if r.ok else EXIT_CHECK_FAILED


def cmd_catalog_rebuild(args: argparse.Namespace) -> int:
    settings, service = _maintenance(args, "catalog_rebuild")
    report = service.catalog_rebuild(args.into or settings.sqlalchemy_url, settings.data_dir)
    print("rebuilt: " + ", ".join(f"{n} {k}" for k, n in report.counts.items()))
    for line in report.not_stored:
        print(f"  not in storage, not recovered: {line}")
    for line in report.lost:
        print(f"  COULD NOT RECOVER: {line}")
    if report.complete:
        print("everything storage holds was recovered")
        return EXIT_OK
    print(f"{len(report.lost)} item(s) could not be recovered (listed above)", file=sys.stderr)
    return EXIT_INCOMPLETE


def cmd_rendition(args: argparse.Namespace) -> int:
    service, bearer = _person(args)
    key = service.rendition(bearer, args.doc_id)
    if args.out:
        digest = service.store.download(key, args.out)  # a read of what the service allowed
        print(f"{args.out}  sha256 {digest}")
    else:
        print(f"rendition stored as {key}")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    settings, service = _maintenance(args, "serve")
    service.catalog.close()
    fork = _can_fork()
    from chartvault.serve import serve

    serve(settings, fork=fork)
    return 0


def cmd_hold_add(args: argparse.Namespace) -> int:
    service, bearer = _person(args)
    r = service.hold_add(bearer, case_name=args.case, reason=args.reason, doc_id=args.document,
                         mrn=args.patient, facility=args.facility)
    print(f"hold {r.hold_id} set on {len(r.doc_ids)} document(s)")
    return 0


def cmd_hold_release(args: argparse.Namespace) -> int:
    service, bearer = _person(args)
    r = service.hold_release(bearer, args.hold_id)
    if not r.released:
        print(f"hold {r.hold_id}: release requested; a second legal account confirms it with "
              f"chartvault hold release {r.hold_id}")
        return EXIT_OK
    print(f"hold {r.hold_id} released ({len(r.doc_ids)} document(s) reviewed for other holds)")
    return 0


def cmd_hold_list(args: argparse.Namespace) -> int:
    service, bearer = _person(args)
    rows = service.holds(bearer, active_only=not args.all)
    for h in rows:
        state = "released" if h["released_at"] else "active"
        print(f"{h['hold_id']}  {state:8s} {h['kind']:8s} placed "
              f"{h['created_at']:%Y-%m-%d %H:%M} by {h['created_by']}  case {h['case_name']}")
    print(f"{len(rows)} hold(s)", file=sys.stderr)
    return EXIT_OK


def cmd_retention_sweep(args: argparse.Namespace) -> int:
    service, bearer = _person(args)
    plan_id = service.sweep(bearer, args.as_of)
    print(f"disposition plan {plan_id} written; inspect with: chartvault retention show "
          f"{plan_id}; approve with: chartvault retention approve {plan_id} (by another user)")
    return EXIT_OK


def _print_execution(result: dict[str, Any]) -> int:
    print(json.dumps(result, indent=2))
    if result.get("failed"):
        print(f"chartvault: {len(result['failed'])} item(s) failed; the plan stays executing: "
              f"chartvault retention resume {result['plan_id']} (or abandon)", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK


def _run_execution(plan_id: str, actor: str) -> int:
    """Run ``retention-execute`` as ``actor``, the person the service just checked."""
    from flows.retention import retention_execute

    with runtime.foreground_run():
        result = retention_execute(plan_id=plan_id, actor=actor)
    return _print_execution(result)


def _reauthentication(args: argparse.Namespace) -> tuple[str | None, str | None]:
    """Password or TOTP code of the approver, given again at the moment of approval."""
    if args.totp:
        return None, args.totp
    if not args.password_stdin and sys.stdin.isatty():
        code = cli_session.ask("TOTP code (empty to give your password instead)", secret=True)
        if code:
            return None, code
        return cli_session.ask("password", secret=True), None
    return sys.stdin.readline().rstrip("\n"), None


def cmd_retention_approve(args: argparse.Namespace) -> int:
    service, bearer = _person(args)
    password, code = _reauthentication(args)
    service.approve_plan(bearer, args.plan_id, password=password, code=code)
    who = service.start_execution(bearer, args.plan_id)
    print(f"plan {args.plan_id} approved by {who}; executing")
    return _run_execution(args.plan_id, who)


def cmd_retention_execute(args: argparse.Namespace) -> int:
    service, bearer = _person(args)
    who = service.start_execution(bearer, args.plan_id)  # checked before Prefect starts
    return _run_execution(args.plan_id, who)


def cmd_retention_resume(args: argparse.Namespace) -> int:
    service, bearer = _person(args)
    who = service.resume_execution(bearer, args.plan_id)
    print(f"plan {args.plan_id}: resuming its execution (as {who})")
    return _run_execution(args.plan_id, who)


def cmd_retention_abandon(args: argparse.Namespace) -> int:
    service, bearer = _person(args)
    result = service.abandon_execution(bearer, args.plan_id)
    who = result.pop("abandoned_by")
    print(json.dumps(result, indent=2))
    print(f"plan {args.plan_id} abandoned by {who}; {result['destroyed']} record(s) "
          "destroyed before it stopped" + (f", certified in {result['certificate']}"
                                           if result["certificate"] else ""))
    return EXIT_OK


def cmd_retention_reject(args: argparse.Namespace) -> int:
    service, bearer = _person(args)
    service.reject_plan(bearer, args.plan_id)
    print(f"plan {args.plan_id} rejected by {service.whoami(bearer).username}; nothing was "
          "disposed of")
    return EXIT_OK


def cmd_retention_cancel(args: argparse.Namespace) -> int:
    service, bearer = _person(args)
    service.cancel_plan(bearer, args.plan_id)
    print(f"plan {args.plan_id} cancelled by {service.whoami(bearer).username}; nothing was "
          "disposed of")
    return EXIT_OK


def cmd_retention_list(args: argparse.Namespace) -> int:
    from chartvault.plan_view import plan_summary

    service, bearer = _person(args)
    plans = [p for p in service.plans(bearer, limit=100_000)
             if args.status in (None, p["status"])]
    for plan in plans:
        print(plan_summary(plan))
    print(f"{len(plans)} plan(s)", file=sys.stderr)
    return EXIT_OK


def cmd_retention_show(args: argparse.Namespace) -> int:
    service, bearer = _person(args)
    print("\n".join(service.plan_lines(bearer, args.plan_id, doc_id=args.doc,
                                       limit=args.limit, arithmetic=not args.brief)))
    return EXIT_OK


def cmd_retention_explain(args: argparse.Namespace) -> int:
    service, bearer = _person(args)
    print("\n".join(service.explain(bearer, args.doc_id)))
    return EXIT_OK


def cmd_certificate(args: argparse.Namespace) -> int:
    service, bearer = _person(args)
    args.out.write_bytes(service.certificate(bearer, args.plan_id))
    print(f"certificate of destruction written to {args.out}")
    return EXIT_OK


def cmd_quarantine_list(args: argparse.Namespace) -> int:
    settings = _settings(args)
    service, bearer = _person(args)
    for row in service.quarantine_list(bearer):
        print(f"{row['quarantine_id']}  {row['at']:%Y-%m-%d %H:%M}  {row['reason']:18s} "
              f"{row['detail']}  {settings.data_dir / row['folder']}")
    return 0


# --- signing in ------------------------------------------------------------------------


def cmd_login(args: argparse.Namespace) -> int:
    """Sign in through the service; keep the session's bearer in the user's token file."""
    from chartvault.auth.signin import PasswordChangeRequired

    settings = _settings(args)
    service = _people_service(settings)
    try:
        username = args.username or cli_session.ask("username", secret=False)
        if args.password_stdin:
            password = sys.stdin.readline().rstrip("\n")
        else:
            password = cli_session.ask("password", secret=True)
        code = args.totp
        second: str | None = None  # stdin line 2: TOTP code, or new password
        if code is None and not args.password_stdin and sys.stdin.isatty():
            code = cli_session.ask("TOTP code (empty if your account has none)", secret=True)
        elif code is None and args.password_stdin:
            second = code = sys.stdin.readline().rstrip("\n")
        try:
            got = service.sign_in(username, password, code or None)
        except PasswordChangeRequired:  # raised before any code is checked or used
            print("first sign-in: choose a new password", file=sys.stderr)
            new = cli_session.ask("new password", secret=True)
            if not new and second and not sys.stdin.isatty():
                # no third line: an account without TOTP gave its new password second
                code, new = None, second
            if sys.stdin.isatty() and cli_session.ask("new password again", secret=True) != new:
                raise ChartvaultError("the two new passwords differ", code="mismatch") from None
            got = service.sign_in(username, password, code or None, new_password=new)
        path = cli_session.store_token(got.bearer)
    finally:
        _close(service)
    roles = ", ".join(sorted(got.principal.roles)) or "none"
    print(f"signed in as {got.principal.username} (roles: {roles}); session kept in {path}; "
          f"it ends after {settings.auth.session_idle_minutes:g} min idle or with chartvault "
          "logout")
    return EXIT_OK


def cmd_logout(args: argparse.Namespace) -> int:
    """End the stored session (revoked in the catalog) and delete the token file."""
    bearer = cli_session.stored_token()
    if bearer is None:
        print("not signed in")
        return EXIT_OK
    service = _people_service(_settings(args))
    try:
        service.sign_out(bearer)
    finally:
        _close(service)
        cli_session.drop_token()
    print("signed out; session revoked")
    return EXIT_OK


def cmd_whoami(args: argparse.Namespace) -> int:
    service, bearer = _person(args)
    p = service.whoami(bearer)
    print(f"{p.username} (roles: {', '.join(sorted(p.roles)) or 'none'}; via {p.via}; "
          f"second factor: {'yes' if p.mfa else 'no'})")
    return EXIT_OK


def cmd_migrate(args: argparse.Namespace) -> int:
    _, service = _maintenance(args, "migrate")
    service.migrate()
    print("catalog schema is at the newest revision")
    return EXIT_OK


# --- parser ------------------------------------------------------------------------------


class _Parser(argparse.ArgumentParser):
    """argparse with a one-line error (usage is one ``--help`` away)."""

    def error(self, message: str) -> NoReturn:
        """Print ``prog: message`` and exit with the usage status."""
        self.exit(EXIT_USER, f"{self.prog}: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="chartvault", description=__doc__)
    p.add_argument("-v", "--verbose", action="store_true", help="debug logging (ids only)")
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("login", help="sign in; the session is kept in your config directory")
    s.add_argument("--username", help="asked when not given")
    s.add_argument("--password-stdin", action="store_true",
                   help="read from stdin, a line each: the password, the TOTP code (accounts "
                        "with TOTP), the new password (at the first sign-in)")
    s.add_argument("--totp", help="TOTP code (asked on a terminal otherwise)")
    s.set_defaults(func=cmd_login)
    s = sub.add_parser("logout", help="end your session and delete the stored token")
    s.set_defaults(func=cmd_logout)
    s = sub.add_parser("whoami", help="the account your session or token belongs to")
    s.set_defaults(func=cmd_whoami)
    s = sub.add_parser("migrate", help="bring the catalog schema up to date (service account)")
    s.set_defaults(func=cmd_migrate)
    cli_accounts.register(sub)
    cli_release.register(sub)

    s = sub.add_parser("demo", help="generate sample scans into the intake folder and ingest them")
    s.add_argument("--docs", type=int, default=20)
    s.add_argument("--seed", type=int, default=2026)
    s.add_argument("--no-bad", action="store_true", help="do not add unreadable files")
    s.set_defaults(func=cmd_demo)

    s = sub.add_parser("generate", help="generate synthetic scanned charts with ground truth")
    s.add_argument("out", type=Path)
    s.add_argument("--docs", type=int, default=20)
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--jobs", type=int, default=1)
    s.add_argument("--truth", type=Path)
    s.set_defaults(func=cmd_generate)

    s = sub.add_parser("ingest", help="run the ingest flow over the intake folder(s)")
    s.add_argument("--intake", help="intake name (default: all)")
    s.add_argument("--registry", type=Path, help="patient registry file (default: settings)")
    s.set_defaults(func=cmd_ingest)

    s = sub.add_parser("watch", help="ingest intake files as they settle, in one warm process")
    s.add_argument("--poll", type=float, help="seconds between looks (default: settings, 0.25)")
    s.add_argument("--json", action="store_true", help="one JSON line (ids, counts) per batch")
    s.set_defaults(func=cmd_watch)

    s = sub.add_parser("search", help="search the archive")
    s.add_argument("text", nargs="*", help="free text")
    s.add_argument("--mrn")
    s.add_argument("--facility")
    s.add_argument("--name", help='"Family", "Family, Given" or "Given Family"; tolerant of '
                   "misspellings and OCR errors")
    s.add_argument("--dob", help="date of birth: 04/30/1964, 30.04.1964, 1964-04-30, Apr 30 1964")
    s.add_argument("--type", help="document type key or label (a misspelt one is warned of)")
    s.add_argument("--from", dest="date_from", help="service date from (same formats)")
    s.add_argument("--to", dest="date_to", help="service date to (same formats)")
    s.add_argument("--limit", type=int, default=50)
    s.add_argument("--offset", type=int, default=0, help="skip this many hits (next page)")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_search)

    s = sub.add_parser("retrieve", help="copy a document's original out, verified")
    s.add_argument("doc_id")
    s.add_argument("--out", type=Path, required=True)
    _purpose_arg(s)
    s.set_defaults(func=cmd_retrieve)

    s = sub.add_parser("show", help="print a document's manifest")
    s.add_argument("doc_id")
    _purpose_arg(s)
    s.set_defaults(func=cmd_show)

    s = sub.add_parser("analyze", help="preview files without archiving")
    s.add_argument("paths", nargs="+", type=Path)
    s.add_argument("--jsonl", action="store_true", help="JSON lines in the eval schema")
    s.add_argument("-o", "--output", type=Path)
    s.add_argument("--registry", type=Path, help="patient registry file (default: settings)")
    s.set_defaults(func=cmd_analyze)

    s = sub.add_parser("evaluate", help="score predictions (analyze --jsonl) against truth: "
                                        "type F1, fields, codes, review and misfile rates")
    s.add_argument("--truth", type=Path, required=True, help="truth JSONL (eval set or generate)")
    s.add_argument("--pred", type=Path, required=True, help="predictions JSONL")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_evaluate)

    s = sub.add_parser("train", help="retrain the document-type classifier on labelled documents")
    s.add_argument("--labeled", type=Path, required=True)
    s.add_argument("--out", type=Path, required=True)
    s.set_defaults(func=cmd_train)

    s = sub.add_parser("audit", help="audit trail")
    a = s.add_subparsers(dest="audit_command", required=True)
    v = a.add_parser("verify", help="re-walk the hash chain and check it against the anchors")
    v.set_defaults(func=cmd_audit_verify)
    v = a.add_parser("anchor", help="write the chain head to storage now, locked")
    v.set_defaults(func=cmd_audit_anchor)

    s = sub.add_parser("rendition", help="searchable PDF from the stored OCR words")
    s.add_argument("doc_id")
    s.add_argument("--out", type=Path)
    s.set_defaults(func=cmd_rendition)

    s = sub.add_parser("serve", help="web app + Prefect server (UI behind sign-in) + scheduled "
                       "deployments + intake watcher")
    s.set_defaults(func=cmd_serve)

    s = sub.add_parser("hold", help="legal holds")
    h = s.add_subparsers(dest="hold_command", required=True)
    ha = h.add_parser("add", help="place a legal hold")
    target = ha.add_mutually_exclusive_group(required=True)
    target.add_argument("--patient", help="MRN (with --facility when several use it)")
    target.add_argument("--document", help="document id")
    ha.add_argument("--facility")
    ha.add_argument("--case", required=True, help="case or matter name")
    ha.add_argument("--reason", required=True)
    ha.set_defaults(func=cmd_hold_add)
    hr = h.add_parser("release", help="release a legal hold")
    hr.add_argument("hold_id")
    hr.set_defaults(func=cmd_hold_release)
    hl = h.add_parser("list", help="legal holds, newest first")
    hl.add_argument("--all", action="store_true", help="released holds too")
    hl.set_defaults(func=cmd_hold_list)

    s = sub.add_parser("retention", help="retention: explain, sweep, list, show, approve, "
                                         "reject, cancel, execute, resume, abandon")
    r = s.add_subparsers(dest="retention_command", required=True)
    re_ = r.add_parser("explain", help="which rule applied to a document and why")
    re_.add_argument("doc_id")
    re_.set_defaults(func=cmd_retention_explain)
    rs = r.add_parser("sweep", help="plan dispositions now (as the current user)")
    rs.add_argument("--as-of", type=date.fromisoformat)
    rs.set_defaults(func=cmd_retention_sweep)
    ra = r.add_parser("approve", help="approve a plan (two-person rule) and execute it")
    ra.add_argument("plan_id")
    ra.add_argument("--password-stdin", action="store_true",
                    help="re-authenticate with the password read from stdin")
    ra.add_argument("--totp", help="re-authenticate with this TOTP code")
    ra.set_defaults(func=cmd_retention_approve)
    rx = r.add_parser("execute", help="execute an approved plan (again: resumes it)")
    rx.add_argument("plan_id")
    rx.set_defaults(func=cmd_retention_execute)
    rl = r.add_parser("list", help="list disposition plans, newest first")
    rl.add_argument("--status", help="only plans in this status (planned, approved, ...)")
    rl.set_defaults(func=cmd_retention_list)
    rw = r.add_parser("show", help="a plan item by item: rule, retain-until, arithmetic")
    rw.add_argument("plan_id")
    rw.add_argument("--doc", help="only this document's item")
    rw.add_argument("--limit", type=int, default=100, help="items shown (0: all)")
    rw.add_argument("--brief", action="store_true", help="one line per item, no arithmetic")
    rw.set_defaults(func=cmd_retention_show)
    rj = r.add_parser("reject", help="turn a planned plan down (not by its requester)")
    rj.add_argument("plan_id")
    rj.set_defaults(func=cmd_retention_reject)
    rn = r.add_parser("cancel", help="withdraw a plan before its execution starts")
    rn.add_argument("plan_id")
    rn.set_defaults(func=cmd_retention_cancel)
    ru = r.add_parser("resume", help="resume an execution that stopped (status executing)")
    ru.add_argument("plan_id")
    ru.set_defaults(func=cmd_retention_resume)
    rb = r.add_parser("abandon", help="abandon a stopped execution; certifies what it destroyed")
    rb.add_argument("plan_id")
    rb.set_defaults(func=cmd_retention_abandon)
    rc = r.add_parser("certificate", help="write a plan's certificate of destruction (PDF)")
    rc.add_argument("plan_id")
    rc.add_argument("--out", type=Path, required=True)
    rc.set_defaults(func=cmd_certificate)

    s = sub.add_parser("verify", help="fixity: re-read objects and compare checksums")
    s.add_argument("--list-purged", action="store_true",
                   help="also list the objects recorded purges removed (expected absent)")
    s.set_defaults(func=cmd_verify)

    s = sub.add_parser("catalog", help="catalog maintenance")
    c = s.add_subparsers(dest="catalog_command", required=True)
    cr = c.add_parser("rebuild", help="recreate the catalog from storage (exit 4: some "
                                      "stored items could not be recovered, listed)")
    cr.add_argument("--into", help="SQLAlchemy URL of an empty database (default: the catalog)")
    cr.set_defaults(func=cmd_catalog_rebuild)

    s = sub.add_parser("quarantine", help="quarantined inputs")
    q = s.add_subparsers(dest="quarantine_command", required=True)
    ql = q.add_parser("list")
    ql.set_defaults(func=cmd_quarantine_list)
    cli_work.register(sub, q, _person)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``chartvault`` command: one line on stderr for an error."""
    os.umask(0o077)  # catalog, objects, quarantine copies, token: the owner's only
    args = build_parser().parse_args(argv)
    try:
        code: int = args.func(args)
    except ChartvaultError as err:  # our messages carry ids only, never patient data
        if args.verbose:
            raise
        print(f"chartvault: {err}", file=sys.stderr)
        return _status(err)
    except FileNotFoundError:  # its message would name the file: possibly a patient
        if args.verbose:
            raise
        print("chartvault: a file or folder named on the command line does not exist",
              file=sys.stderr)
        return EXIT_NOT_FOUND
    except Exception as exc:  # a foreign message may quote patient data: its type only
        if args.verbose:
            raise
        print(f"chartvault: {args.command} failed ({type(exc).__name__}); run with -v "
              "for the details", file=sys.stderr)
        return EXIT_FAILED
    return code


def run() -> None:
    """Console entry point: ``main``, then a quick exit once the atexit hooks have run.

    Prefect drains its logs and events in atexit hooks, and our catalogs are closed by
    then; what is left, tearing down the interpreter's heap (spaCy, Prefect, pydantic),
    took ~0.6 s of every ``chartvault ingest`` and finalises nothing we need. The hook is
    registered first, so it runs last. Tests call ``main``, which never exits this way.
    """
    code = 1

    def quick_exit() -> None:
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)

    atexit.register(quick_exit)
    try:
        code = main()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        raise
    except KeyboardInterrupt:
        code = EXIT_INTERRUPTED
        raise
    sys.exit(code)


if __name__ == "__main__":
    run()
