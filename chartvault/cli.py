"""Command line: ``chartvault COMMAND``. Acts as the user named in settings.

The CLI prints patient data only where the user asked for it (search results,
``analyze``); logs stay free of it.
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
from typing import Any

from chartvault import runtime
from chartvault.settings import Settings


def _settings(args: argparse.Namespace) -> Settings:
    settings = Settings()
    runtime.prepare(settings, verbose=getattr(args, "verbose", False))
    return settings


def _catalog(settings: Settings) -> Any:
    from chartvault.catalog import Catalog

    catalog = Catalog(settings.sqlalchemy_url)
    catalog.create()
    return catalog


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


def cmd_ingest(args: argparse.Namespace) -> int:
    settings = _settings(args)
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
    catalog = _catalog(settings)
    try:
        for b in batches:
            for row in catalog.quarantined(b["batch_id"]):
                print(f"  quarantined {row['quarantine_id']}: {row['reason']} ({row['detail']}) "
                      f"-> {settings.data_dir / row['folder']}")
    finally:
        catalog.close()
    rate = total_pages / seconds if seconds else 0.0
    print(f"time: {seconds:.1f} s ({rate:.2f} pages/s); data directory: {settings.data_dir}")


def cmd_watch(args: argparse.Namespace) -> int:
    settings = _settings(args)
    from chartvault.watch import IntakeWatcher, handled

    def report(batch: dict[str, Any], seconds: float) -> None:
        if args.json:
            keys = ("batch_id", "intake", "busy", "archived", "duplicates", "quarantined",
                    "needs_review", "pages", "failed")
            print(json.dumps({**{k: batch[k] for k in keys}, "seconds": round(seconds, 3)}),
                  flush=True)
        elif handled(batch) or batch["failed"]:
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
    settings = _settings(args)
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
    print("try: .venv/bin/chartvault search --type discharge_summary")
    return 0


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
    settings = _settings(args)
    from chartvault.access import search
    from chartvault.catalog import SearchCriteria

    criteria = SearchCriteria(
        mrn=args.mrn, facility=args.facility, name=args.name, dob=args.dob,
        doc_type=args.type, date_from=args.date_from, date_to=args.date_to,
        text=" ".join(args.text) if args.text else None, limit=args.limit,
    )
    if not criteria.fields_used():
        print("give at least one criterion (see --help)", file=sys.stderr)
        return 2
    hits = search(_catalog(settings), criteria, settings.user)
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
    print(f"{len(hits)} document(s)", file=sys.stderr)
    return 0


def cmd_retrieve(args: argparse.Namespace) -> int:
    settings = _settings(args)
    from chartvault.access import NotFound, retrieve
    from storage.factory import open_store

    try:
        got = retrieve(_catalog(settings), open_store(settings), args.doc_id, args.out,
                       settings.user)
    except NotFound as err:
        print(str(err), file=sys.stderr)
        return 1
    print(f"{got.path}  sha256 {got.sha256}  {got.size} bytes (verified)")
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    settings = _settings(args)
    from storage.factory import open_store

    catalog = _catalog(settings)
    row = catalog.get(args.doc_id)
    if row is None:
        print(f"document {args.doc_id} is not in the archive", file=sys.stderr)
        return 1
    manifest = open_store(settings).get(row["manifest_key"])
    catalog.audit(settings.user, "view_manifest", [args.doc_id])
    print(manifest.decode())
    return 0


# --- analysis, training ----------------------------------------------------------------


def cmd_analyze(args: argparse.Namespace) -> int:
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


def cmd_evaluate(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    from chartvault.evaluation import evaluate_rows, format_report, read_jsonl

    rep = evaluate_rows(read_jsonl(args.truth), read_jsonl(args.pred))
    if args.json:
        print(json.dumps({**asdict(rep), "fields_exact": rep.fields_exact}, indent=2))
    else:
        print(format_report(rep))
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    from classifiers.doctype import train_from_labeled

    report = train_from_labeled(args.labeled, args.out)
    print(json.dumps(report, indent=2, default=str))
    return 0


def cmd_audit_verify(args: argparse.Namespace) -> int:
    settings = _settings(args)
    from chartvault import anchors
    from chartvault.errors import ChartvaultError
    from storage.factory import open_store

    try:
        report = anchors.verify(_catalog(settings), open_store(settings))
    except ChartvaultError as err:  # an unreadable anchor, an unreachable store
        print(f"audit verify: {err} ({err.code})", file=sys.stderr)
        return 1
    state = ("intact" if report.ok
             else f"BROKEN at event {report.first_bad_seq}: {report.problem}")
    print(f"audit trail: {report.events} events, chain {state}; {report.anchors} anchors "
          f"in storage vouch for events 1..{report.anchored_seq}")
    return 0 if report.ok else 1


def cmd_audit_anchor(args: argparse.Namespace) -> int:
    settings = _settings(args)
    from chartvault import anchors
    from storage.factory import open_store

    anchor = anchors.anchor_now(_catalog(settings), open_store(settings), "manual",
                                retain_days=settings.audit.anchor_retain_days)
    print("audit trail is empty: nothing to anchor" if anchor is None
          else f"anchored event {anchor.seq} ({anchor.hash[:16]}...) at {anchor.key}")
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    settings = _settings(args)
    from chartvault.fixity import verify
    from storage.factory import open_store

    r = verify(_catalog(settings), open_store(settings), settings.user)
    print(f"fixity: {r.documents} documents, {r.objects} objects, {r.bytes / 1e6:.1f} MB read")
    for label, keys in (("missing", r.missing), ("changed", r.changed),
                        ("untracked", r.untracked)):
        for key in keys:
            print(f"  {label}: {key}")
    print("all objects intact" if r.ok else "FIXITY PROBLEMS FOUND")
    return 0 if r.ok else 1


def cmd_catalog_rebuild(args: argparse.Namespace) -> int:
    settings = _settings(args)
    from chartvault.catalog import Catalog
    from chartvault.catalog.rebuild import rebuild
    from storage.factory import open_store

    target = args.into or settings.sqlalchemy_url
    catalog = Catalog(target)
    catalog.create()
    if catalog.search_count() and not args.into:
        print("the catalog is not empty; rebuild into a new database with --into URL",
              file=sys.stderr)
        return 2
    counts = rebuild(catalog, open_store(settings))
    catalog.audit(settings.user, "catalog_rebuild", detail=counts)
    print(f"rebuilt: {counts}")
    return 0


def cmd_rendition(args: argparse.Namespace) -> int:
    settings = _settings(args)
    from chartvault.renditions import build
    from storage.factory import open_store

    store = open_store(settings)
    key = build(_catalog(settings), store, args.doc_id, settings.user)
    if args.out:
        digest = store.download(key, args.out)
        print(f"{args.out}  sha256 {digest}")
    else:
        print(f"rendition stored as {key}")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    settings = _settings(args)
    fork = _can_fork()
    from chartvault.serve import serve

    serve(settings, fork=fork)
    return 0


def cmd_hold_add(args: argparse.Namespace) -> int:
    settings = _settings(args)
    from chartvault.holds import add_hold
    from storage.factory import open_store

    r = add_hold(_catalog(settings), open_store(settings), actor=settings.user,
                 case_name=args.case, reason=args.reason, doc_id=args.document,
                 mrn=args.patient, facility=args.facility)
    print(f"hold {r.hold_id} set on {len(r.doc_ids)} document(s)")
    return 0


def cmd_hold_release(args: argparse.Namespace) -> int:
    settings = _settings(args)
    from chartvault.holds import release_hold
    from storage.factory import open_store

    r = release_hold(_catalog(settings), open_store(settings), args.hold_id, settings.user)
    print(f"hold {r.hold_id} released ({len(r.doc_ids)} document(s) reviewed for other holds)")
    return 0


def cmd_retention_sweep(args: argparse.Namespace) -> int:
    settings = _settings(args)
    from chartvault.disposition import sweep

    plan_id = sweep(_catalog(settings), args.as_of or date.today(), settings.user)
    print(f"disposition plan {plan_id} written; approve with: chartvault retention approve "
          f"{plan_id} (by another user)")
    return 0


def cmd_retention_approve(args: argparse.Namespace) -> int:
    settings = _settings(args)
    from chartvault.disposition import approve

    approve(_catalog(settings), args.plan_id, settings.user)
    print(f"plan {args.plan_id} approved by {settings.user}; executing")
    from flows.retention import retention_execute

    with runtime.foreground_run():
        result = retention_execute(plan_id=args.plan_id)
    print(json.dumps(result, indent=2))
    return 0


def cmd_retention_execute(args: argparse.Namespace) -> int:
    _settings(args)
    from flows.retention import retention_execute

    with runtime.foreground_run():
        result = retention_execute(plan_id=args.plan_id)
    print(json.dumps(result, indent=2))
    return 0


def cmd_retention_explain(args: argparse.Namespace) -> int:
    settings = _settings(args)
    from chartvault.pipeline.retention import explain_document

    catalog = _catalog(settings)
    lines = explain_document(catalog, args.doc_id)
    catalog.audit(settings.user, "retention_explain", [args.doc_id])
    print("\n".join(lines))
    return 0


def cmd_certificate(args: argparse.Namespace) -> int:
    settings = _settings(args)
    from storage.factory import open_store

    data = open_store(settings).get(f"compliance/certificates/{args.plan_id}.pdf")
    args.out.write_bytes(data)
    _catalog(settings).audit(settings.user, "certificate_print", detail={"plan_id": args.plan_id})
    print(f"certificate of destruction written to {args.out}")
    return 0


def cmd_quarantine_list(args: argparse.Namespace) -> int:
    settings = _settings(args)
    for row in _catalog(settings).quarantined():
        print(f"{row['quarantine_id']}  {row['at']:%Y-%m-%d %H:%M}  {row['reason']:18s} "
              f"{row['detail']}  {settings.data_dir / row['folder']}")
    return 0


# --- parser ------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="chartvault", description=__doc__)
    p.add_argument("-v", "--verbose", action="store_true", help="debug logging (ids only)")
    sub = p.add_subparsers(dest="command", required=True)

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
    s.set_defaults(func=cmd_ingest)

    s = sub.add_parser("watch", help="ingest intake files as they settle, in one warm process")
    s.add_argument("--poll", type=float, help="seconds between looks (default: settings, 0.25)")
    s.add_argument("--json", action="store_true", help="one JSON line (ids, counts) per batch")
    s.set_defaults(func=cmd_watch)

    s = sub.add_parser("search", help="search the archive")
    s.add_argument("text", nargs="*", help="free text")
    s.add_argument("--mrn")
    s.add_argument("--facility")
    s.add_argument("--name", help='"Family", "Family, Given" or "Given Family"')
    s.add_argument("--dob", type=date.fromisoformat)
    s.add_argument("--type", help="document type key")
    s.add_argument("--from", dest="date_from", type=date.fromisoformat)
    s.add_argument("--to", dest="date_to", type=date.fromisoformat)
    s.add_argument("--limit", type=int, default=50)
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_search)

    s = sub.add_parser("retrieve", help="copy a document's original out, verified")
    s.add_argument("doc_id")
    s.add_argument("--out", type=Path, required=True)
    s.set_defaults(func=cmd_retrieve)

    s = sub.add_parser("show", help="print a document's manifest")
    s.add_argument("doc_id")
    s.set_defaults(func=cmd_show)

    s = sub.add_parser("analyze", help="preview files without archiving")
    s.add_argument("paths", nargs="+", type=Path)
    s.add_argument("--jsonl", action="store_true", help="JSON lines in the eval schema")
    s.add_argument("-o", "--output", type=Path)
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

    s = sub.add_parser("serve", help="long-lived Prefect server + scheduled deployments")
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

    s = sub.add_parser("retention", help="retention: explain, sweep, approve, execute")
    r = s.add_subparsers(dest="retention_command", required=True)
    re_ = r.add_parser("explain", help="which rule applied to a document and why")
    re_.add_argument("doc_id")
    re_.set_defaults(func=cmd_retention_explain)
    rs = r.add_parser("sweep", help="plan dispositions now (as the current user)")
    rs.add_argument("--as-of", type=date.fromisoformat)
    rs.set_defaults(func=cmd_retention_sweep)
    ra = r.add_parser("approve", help="approve a plan (two-person rule) and execute it")
    ra.add_argument("plan_id")
    ra.set_defaults(func=cmd_retention_approve)
    rx = r.add_parser("execute", help="resume the execution of an approved plan")
    rx.add_argument("plan_id")
    rx.set_defaults(func=cmd_retention_execute)
    rc = r.add_parser("certificate", help="write a plan's certificate of destruction (PDF)")
    rc.add_argument("plan_id")
    rc.add_argument("--out", type=Path, required=True)
    rc.set_defaults(func=cmd_certificate)

    s = sub.add_parser("verify", help="fixity: re-read objects and compare checksums")
    s.set_defaults(func=cmd_verify)

    s = sub.add_parser("catalog", help="catalog maintenance")
    c = s.add_subparsers(dest="catalog_command", required=True)
    cr = c.add_parser("rebuild", help="recreate the catalog from storage")
    cr.add_argument("--into", help="SQLAlchemy URL of an empty database (default: the catalog)")
    cr.set_defaults(func=cmd_catalog_rebuild)

    s = sub.add_parser("quarantine", help="quarantined inputs")
    q = s.add_subparsers(dest="quarantine_command", required=True)
    ql = q.add_parser("list")
    ql.set_defaults(func=cmd_quarantine_list)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``chartvault`` command."""
    args = build_parser().parse_args(argv)
    code: int = args.func(args)
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
        code = 130
        raise
    sys.exit(code)


if __name__ == "__main__":
    run()
