"""The one guarded way into the archive: ``Service(catalog, store, settings)``.

Every method a person's action calls does the same four things: verify the bearer
(session or API token) into a ``Principal``; check the role matrix
(``chartvault.auth.roles``); on refusal audit it in its own transaction and raise
``Forbidden``; otherwise call the domain function (access, holds, disposition, fixity,
renditions) and make sure an audit event records it. The CLI, the HTTP API and the web
app are meant to be thin adapters over this class.
"""

from chartvault.auth.errors import Forbidden, Unauthenticated
from chartvault.service.intake import IntakeActions
from chartvault.service.intake_work import IntakeWorkActions
from chartvault.service.legal import LegalActions, ReleaseOutcome
from chartvault.service.oversight import Dashboard, OversightActions, TrailPage
from chartvault.service.people import AccountInfo, NewToken, PeopleActions, TokenError
from chartvault.service.records import RecordsActions, SearchPage
from chartvault.service.registers import RegisterActions
from chartvault.service.release import ReleaseActions
from chartvault.service.retention import PlanView, RetentionActions
from chartvault.service.review import ReviewActions


class Service(PeopleActions, RecordsActions, IntakeActions, RetentionActions, LegalActions,
              IntakeWorkActions, ReviewActions, RegisterActions, ReleaseActions,
              OversightActions):
    """Every person-action on the archive, guarded."""


__all__ = ["AccountInfo", "Dashboard", "Forbidden", "NewToken", "PlanView", "ReleaseOutcome",
           "SearchPage", "Service", "TokenError", "TrailPage", "Unauthenticated"]
