"""CLI verbs of the work side, on the same service calls as the web pages.

``quarantine release|purge`` (archivist), ``review list|show|confirm|confirm-batch|correct``
(archivist). ``cli.py`` hands in the person's service and bearer (``person``).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from chartvault.quarantine import PurgeReason

Person = Callable[[argparse.Namespace], tuple[Any, str]]


def _release(args: argparse.Namespace, service: Any, bearer: str) -> None:
    intake = service.quarantine_release(bearer, args.quarantine_id, args.note or "")
    print(f"{args.quarantine_id} released to intake {intake}: the next ingest run takes it")


def _purge(args: argparse.Namespace, service: Any, bearer: str) -> None:
    service.quarantine_purge(bearer, args.quarantine_id, args.reason, args.note or "")
    print(f"{args.quarantine_id} purged ({args.reason})")


def _review_list(args: argparse.Namespace, service: Any, bearer: str) -> None:
    rl = service.review_list(bearer, args.batch, args.offset, args.limit)
    for r in rl.page.rows:
        print(f"{r['doc_id']}  {r['doc_type']:26s} {r['type_confidence']:.2f}  "
              f"batch {r['batch_id']}  {', '.join(r['review_reasons'] or [])}")
    print(f"{len(rl.page.rows)} of {rl.page.total} waiting for review")


def _review_show(args: argparse.Namespace, service: Any, bearer: str) -> None:
    item = service.review_item(bearer, args.doc_id)
    row = item.row
    print(f"{item.doc_id}: {row['doc_type']} ({row['type_confidence']:.2f}); "
          f"reasons: {', '.join(item.reasons) or '-'}")
    print("candidates: " + (", ".join(f"{t} {s:.2f}" for t, s in item.candidates) or "-"))
    for key in ("patient_family", "patient_given", "mrn", "birth_date", "sex", "service_date"):
        print(f"  {key}: {row[key] if row[key] is not None else '-'}")
    for m in item.matches:
        print(f"  registry: {m.family}, {m.given}  MRN {m.mrn}  born {m.birth_date}  "
              f"score {m.score}{'  confirmed' if m.confirmed else ''}")


def _confirm(args: argparse.Namespace, service: Any, bearer: str) -> None:
    service.confirm(bearer, args.doc_id)
    print(f"{args.doc_id} confirmed as read")


def _confirm_batch(args: argparse.Namespace, service: Any, bearer: str) -> None:
    done = service.confirm_batch(bearer, args.batch_id)
    print(f"{len(done)} record(s) of batch {args.batch_id} confirmed as read")


def _correct(args: argparse.Namespace, service: Any, bearer: str) -> None:
    given = {"doc_type": args.type, "patient_family": args.family,
             "patient_given": args.given, "mrn": args.mrn, "birth_date": args.dob,
             "sex": args.sex, "service_date": args.service_date}
    got = service.correct(bearer, args.doc_id, {k: v for k, v in given.items()
                                                if v is not None}, args.note or "")
    print(f"{args.doc_id} {got.kind}: {', '.join(got.changed) or 'nothing changed'}")


def _wrap(person: Person, fn: Callable[[argparse.Namespace, Any, str], None]
          ) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        service, bearer = person(args)
        fn(args, service, bearer)
        return 0
    return run


def register(sub: Any, quarantine: Any, person: Person) -> None:
    """Add ``quarantine release|purge`` to ``quarantine`` and ``review ...`` to ``sub``."""
    qr = quarantine.add_parser("release", help="archivist: put the file back in its intake "
                                               "folder for the next ingest run")
    qr.add_argument("quarantine_id")
    qr.add_argument("--note")
    qr.set_defaults(func=_wrap(person, _release))
    qp = quarantine.add_parser("purge", help="archivist: delete the quarantined copy")
    qp.add_argument("quarantine_id")
    qp.add_argument("--reason", required=True, choices=[r.value for r in PurgeReason])
    qp.add_argument("--note")
    qp.set_defaults(func=_wrap(person, _purge))

    s = sub.add_parser("review", help="archivist: records waiting for review")
    r = s.add_subparsers(dest="review_command", required=True)
    rl = r.add_parser("list")
    rl.add_argument("--batch")
    rl.add_argument("--offset", type=int, default=0)
    rl.add_argument("--limit", type=int, default=50)
    rl.set_defaults(func=_wrap(person, _review_list))
    rs = r.add_parser("show", help="fields, reasons, type candidates, registry matches")
    rs.add_argument("doc_id")
    rs.set_defaults(func=_wrap(person, _review_show))
    rc = r.add_parser("confirm", help="type and patient stand as read")
    rc.add_argument("doc_id")
    rc.set_defaults(func=_wrap(person, _confirm))
    rb = r.add_parser("confirm-batch", help="confirm every waiting record of a batch")
    rb.add_argument("batch_id")
    rb.set_defaults(func=_wrap(person, _confirm_batch))
    rx = r.add_parser("correct", help="correct the type and the patient")
    rx.add_argument("doc_id")
    rx.add_argument("--type")
    rx.add_argument("--family")
    rx.add_argument("--given")
    rx.add_argument("--mrn")
    rx.add_argument("--dob", help="YYYY-MM-DD")
    rx.add_argument("--sex", choices=["F", "M", "U"])
    rx.add_argument("--service-date", dest="service_date", help="YYYY-MM-DD")
    rx.add_argument("--note")
    rx.set_defaults(func=_wrap(person, _correct))
