"""``chartvault release ...``: release of information from the command line.

A thin adapter over ``Service``'s release methods, as the signed-in account (``chartvault
login`` or ``CHARTVAULT_TOKEN``): request, list (due soon first), show, review, deny,
fulfil (writes the package into ``--out``), accounting and access-report (CSV on
stdout, or ``--csv``/``--pdf`` files).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from chartvault.release.model import RequesterKind, Status
from chartvault.taxonomy import DOC_TYPE_KEYS


def _person(args: argparse.Namespace) -> tuple[Any, str]:
    from chartvault.cli import _person as person

    return person(args)


def _today_and_soon() -> tuple[date, int]:
    """Today (UTC) and the site's "due soon" window, for flagging requests."""
    from chartvault.settings import Settings

    return datetime.now(UTC).date(), Settings().release.due_soon_days


def _line(req: Any, today: date, soon: int) -> str:
    left = (req.due_date - today).days
    open_ = req.status in (Status.RECEIVED, Status.IN_REVIEW)
    flag = ("OVERDUE" if left < 0 else "DUE SOON" if left <= soon else "") if open_ else ""
    return (f"{req.request_id}  {req.status.value:9s} due {req.due_date} ({left:+d} d) "
            f"{flag:8s} {req.requester_kind.value:8s} {req.purpose}")


def cmd_request(args: argparse.Namespace) -> int:
    service, bearer = _person(args)
    req = service.release_request(
        bearer, requester_kind=args.requester_kind, requester_name=args.requester,
        purpose=args.purpose, mrn=args.mrn, facility=args.facility, date_from=args.date_from,
        date_to=args.date_to, doc_types=args.type or [], authorization_doc_id=args.authorization,
        due_date=args.due)
    print(f"{req.request_id}  received, due {req.due_date}")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    service, bearer = _person(args)
    requests = service.release_requests(bearer, args.status)
    today, soon = _today_and_soon()
    for req in requests:
        print(_line(req, today, soon))
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    service, bearer = _person(args)
    got = service.release_show(bearer, args.request_id)
    r = got.request
    print(_line(r, *_today_and_soon()))
    print(f"  requester: {r.requester_name} ({r.requester_kind.value}); authorisation: "
          f"{r.authorization_doc_id or '-'}")
    print(f"  scope: MRN {r.scope.mrn} at {r.scope.facility}; {r.scope.describe()}")
    if r.status_reason:
        print(f"  reason: {r.status_reason}")
    print(f"  documents in scope now: {len(got.in_scope)}")
    for doc_id in got.in_scope:
        print(f"    {doc_id}")
    for d in got.disclosures:
        print(f"  disclosed {d['disclosed_at']:%Y-%m-%d} by {d['disclosed_by']}: "
              f"{d['description']} ({d['disclosure_id']})")
    return 0


def cmd_review(args: argparse.Namespace) -> int:
    service, bearer = _person(args)
    req = service.release_review(bearer, args.request_id)
    print(f"{req.request_id}  {req.status.value}")
    return 0


def cmd_deny(args: argparse.Namespace) -> int:
    service, bearer = _person(args)
    req = service.release_deny(bearer, args.request_id, args.reason)
    print(f"{req.request_id}  denied")
    return 0


def cmd_fulfil(args: argparse.Namespace) -> int:
    service, bearer = _person(args)
    got = service.release_fulfil(bearer, args.request_id, args.out, doc_ids=args.doc or None,
                                 paper_copy=not args.no_pdf, encrypt_zip=args.encrypt)
    pkg = got.package
    print(f"{got.request_id}  fulfilled: {len(pkg.doc_ids)} document(s), disclosure "
          f"{got.disclosure_id}")
    print(f"  bag: {pkg.bag} (validated)")
    if pkg.pdf:
        print(f"  paper: {pkg.pdf} ({pkg.pages} pages, cover included)")
    if pkg.zip:
        print(f"  encrypted: {pkg.zip}")
        print(f"  passphrase (shown once; give it to the requester separately): {got.passphrase}")
    return 0


def _report(args: argparse.Namespace, report: Any) -> int:
    if args.csv:
        Path(args.csv).write_text(report.csv())
    if args.pdf:
        Path(args.pdf).write_bytes(report.pdf())
    if not args.csv and not args.pdf:
        sys.stdout.write(report.csv())
    print(report.subtitle, file=sys.stderr)
    return 0


def cmd_accounting(args: argparse.Namespace) -> int:
    service, bearer = _person(args)
    return _report(args, service.disclosure_accounting(bearer, args.mrn, args.facility,
                                                       args.years))


def cmd_access_report(args: argparse.Namespace) -> int:
    service, bearer = _person(args)
    return _report(args, service.access_report(bearer, args.mrn, args.facility))


def _patient(p: argparse.ArgumentParser) -> None:
    p.add_argument("--mrn", required=True)
    p.add_argument("--facility", help="needed when several facilities use the MRN")


def _outputs(p: argparse.ArgumentParser) -> None:
    p.add_argument("--csv", type=Path, help="write CSV here (default: stdout)")
    p.add_argument("--pdf", type=Path, help="write PDF here")


def _cmd(p: argparse.ArgumentParser, func: Callable[[argparse.Namespace], int]) -> None:
    p.set_defaults(func=func)


def register(subparsers: Any) -> None:
    """Add ``release`` and its sub-commands to chartvault's parser."""
    s = subparsers.add_parser("release", help="release of information: requests, packages, "
                                              "accounting of disclosures")
    r = s.add_subparsers(dest="release_command", required=True)
    q = r.add_parser("request", help="record a release request (archivist, records manager)")
    _patient(q)
    q.add_argument("--requester-kind", required=True, choices=[k.value for k in RequesterKind])
    q.add_argument("--requester", required=True, help="requester's name")
    q.add_argument("--purpose", required=True)
    q.add_argument("--authorization", help="doc id of the archived authorisation or subpoena")
    q.add_argument("--from", dest="date_from", type=date.fromisoformat)
    q.add_argument("--to", dest="date_to", type=date.fromisoformat)
    q.add_argument("--type", action="append", choices=DOC_TYPE_KEYS,
                   help="document type (repeat; default: all)")
    q.add_argument("--due", type=date.fromisoformat, help="default: settings (30 days)")
    _cmd(q, cmd_request)
    ls = r.add_parser("list", help="requests, open first, soonest due first")
    ls.add_argument("--status", choices=[s.value for s in Status])
    _cmd(ls, cmd_list)
    sh = r.add_parser("show", help="a request, its scope's documents, its disclosures")
    sh.add_argument("request_id")
    _cmd(sh, cmd_show)
    rv = r.add_parser("review", help="take a received request into review")
    rv.add_argument("request_id")
    _cmd(rv, cmd_review)
    dn = r.add_parser("deny", help="deny a request with its reason (records manager)")
    dn.add_argument("request_id")
    dn.add_argument("--reason", required=True)
    _cmd(dn, cmd_deny)
    f = r.add_parser("fulfil", help="write the package and record the disclosure "
                                    "(records manager)")
    f.add_argument("request_id")
    f.add_argument("--out", type=Path, required=True, help="folder for the package")
    f.add_argument("--doc", action="append", help="release only these documents of the scope")
    f.add_argument("--no-pdf", action="store_true", help="no combined PDF for paper release")
    f.add_argument("--encrypt", action="store_true",
                   help="also an AES-256 zip of the bag; prints its passphrase once")
    _cmd(f, cmd_fulfil)
    a = r.add_parser("accounting", help="accounting of a patient's disclosures (6 years)")
    _patient(a)
    a.add_argument("--years", type=int, help="default: settings (6)")
    _outputs(a)
    _cmd(a, cmd_accounting)
    ar = r.add_parser("access-report", help="every audited read of a patient's documents")
    _patient(ar)
    _outputs(ar)
    _cmd(ar, cmd_access_report)
