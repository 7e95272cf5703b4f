"""THE order state machine: statuses, their labels, the allowed moves and who may make them.

`advance()` is the only code that writes `order.status`. It locks the order row (SELECT … FOR
UPDATE on PostgreSQL; on every database the order's version counter makes a concurrent second
write fail), checks the move, records a StatusChange and asks messaging to tell the member.
"""
import enum
from collections.abc import Callable
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm.exc import StaleDataError

from portal.clock import utcnow
from portal.extensions import db
from portal.messaging import order_news


class Status(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    QUOTED = "quoted"
    DEPOSIT_REVIEW = "deposit_review"
    CONFIRMED = "confirmed"
    PURCHASED = "purchased"
    IN_TRANSIT = "in_transit"
    ARRIVED = "arrived"
    BALANCE_REVIEW = "balance_review"
    READY = "ready"
    COMPLETED = "completed"
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        return LABELS[self]

    @property
    def badge(self) -> str:
        """The Bootstrap colour of the status badge."""
        return BADGES.get(self, "secondary")


LABELS = {
    Status.DRAFT: _l("Panier"),
    Status.SUBMITTED: _l("Demande envoyée — en attente de proforma"),
    Status.QUOTED: _l("Proforma envoyée — en attente d'acompte"),
    Status.DEPOSIT_REVIEW: _l("Acompte en attente de validation"),
    Status.CONFIRMED: _l("Confirmée — commande passée"),
    Status.PURCHASED: _l("Achetée auprès du marchand"),
    Status.IN_TRANSIT: _l("En cours d'acheminement"),
    Status.ARRIVED: _l("Arrivée — solde à régler"),
    Status.BALANCE_REVIEW: _l("Solde en attente de validation"),
    Status.READY: _l("Prête — retrait ou livraison à organiser"),
    Status.COMPLETED: _l("Retirée / livrée"),
    Status.CANCELLED: _l("Annulée"),
}
BADGES = {Status.QUOTED: "warning", Status.ARRIVED: "warning", Status.READY: "success",
          Status.COMPLETED: "success", Status.CANCELLED: "dark", Status.DRAFT: "light"}
FINISHED = frozenset({Status.COMPLETED, Status.CANCELLED})
# Statuses in which the member has something to do (pay and upload a proof).
MEMBER_TO_ACT = frozenset({Status.QUOTED, Status.ARRIVED})
# The delivery address may change (once) until the deposit is confirmed.
ADDRESS_CHANGEABLE = frozenset({Status.SUBMITTED, Status.QUOTED, Status.DEPOSIT_REVIEW})

MEMBER = frozenset({"member"})
STAFF = frozenset({"staff", "admin"})


class WorkflowError(Exception):
    """A move the workflow refuses; `message` is a French sentence for the person."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


Check = Callable[[object, dict], object]  # returns a refusal message, or None


@dataclass(frozen=True)
class Move:
    source: Status
    target: Status
    roles: frozenset
    needs: tuple[str, ...] = ()  # details the caller must give (e.g. the proforma issued)
    checks: tuple[Check, ...] = ()
    staff_needs: tuple[str, ...] = ()  # further details when staff make the move

    def needs_for(self, actor) -> tuple[str, ...]:
        return self.needs + (self.staff_needs if actor.role in STAFF else ())


def _has_items(order, details):
    if not order.items:
        return _l("Ajoutez au moins un article avant d'envoyer la demande.")
    return None


def _has_delivery(order, details):
    if not order.terms_version_id:
        return _l("Vous devez accepter les conditions générales.")
    if not order.delivery_address:
        return _l("Choisissez une adresse.")
    if order.delivery_mode not in ("pickup", "home"):
        return _l("Choisissez un mode de livraison.")
    if order.delivery_mode == "pickup" and not order.pickup_point_id:
        return _l("Choisissez un point de retrait.")
    return None


def _proforma_payable(order, details):
    """A deposit is paid against the proforma in force, and only while it is valid."""
    from portal.staff.models import agency_today

    proforma = order.current_proforma
    if proforma is None or proforma.is_expired(agency_today()):
        return _l("Cette proforma a expiré : demandez-nous une nouvelle version avant de payer.")
    return None


def _nothing_left_to_pay(order, details):
    """Without a balance proof, an order is ready only when its invoice is already paid."""
    from portal.payments.proofs import balance_settled

    return None if balance_settled(order) else _l("Le solde de cette commande reste à payer.")


S = Status
MOVES = {(move.source, move.target): move for move in [
    Move(S.DRAFT, S.SUBMITTED, MEMBER, checks=(_has_items, _has_delivery)),
    Move(S.SUBMITTED, S.QUOTED, STAFF, needs=("proforma",)),
    Move(S.QUOTED, S.DEPOSIT_REVIEW, MEMBER, needs=("proof",), checks=(_proforma_payable,)),
    Move(S.DEPOSIT_REVIEW, S.CONFIRMED, STAFF, needs=("proof",)),
    Move(S.DEPOSIT_REVIEW, S.QUOTED, STAFF, needs=("proof",)),  # refused or short payment
    Move(S.CONFIRMED, S.PURCHASED, STAFF),
    Move(S.CONFIRMED, S.ARRIVED, STAFF, needs=("invoice",)),  # purchase and transit skipped
    Move(S.PURCHASED, S.IN_TRANSIT, STAFF),
    Move(S.PURCHASED, S.ARRIVED, STAFF, needs=("invoice",)),
    Move(S.IN_TRANSIT, S.ARRIVED, STAFF, needs=("invoice",)),
    Move(S.ARRIVED, S.BALANCE_REVIEW, MEMBER, needs=("proof",)),
    Move(S.ARRIVED, S.READY, STAFF, checks=(_nothing_left_to_pay,)),  # the deposit covered all
    Move(S.BALANCE_REVIEW, S.READY, STAFF, needs=("proof",)),
    Move(S.BALANCE_REVIEW, S.ARRIVED, STAFF, needs=("proof",)),
    Move(S.READY, S.COMPLETED, STAFF),
    Move(S.SUBMITTED, S.CANCELLED, MEMBER | STAFF, staff_needs=("reason",)),
    Move(S.QUOTED, S.CANCELLED, MEMBER | STAFF, staff_needs=("reason",)),
    *[Move(source, S.CANCELLED, STAFF, needs=("reason",))
      for source in Status if source not in FINISHED | {S.DRAFT, S.SUBMITTED, S.QUOTED}],
]}


def find_move(order, to: Status, actor) -> Move:
    """The move from the order's status to `to` that `actor` may make, or WorkflowError."""
    move = MOVES.get((Status(order.status), Status(to)))
    if move is None:
        raise WorkflowError(_l("Impossible de passer une commande « %(source)s » à « %(target)s ».",
                               source=Status(order.status).label, target=Status(to).label))
    if actor.role not in move.roles or (actor.role == "member" and actor.id != order.user_id):
        raise WorkflowError(_l("Vous ne pouvez pas faire cette action sur cette commande."))
    return move


def can_move(order, to: Status, actor) -> bool:
    try:
        find_move(order, to, actor)
    except WorkflowError:
        return False
    return True


def advance(order, to: Status, actor, note: str | None = None, announce: bool = True,
            **details):
    """Move `order` to status `to` on behalf of `actor`; return the StatusChange (flush only).

    `announce=False` when the caller tells the member itself (a document sent along)."""
    from portal.requests.models import NOTE_MAX, StatusChange

    lock(order)
    move = find_move(order, to, actor)
    missing = [name for name in move.needs_for(actor) if _blank(details.get(name))]
    if missing:
        raise WorkflowError(_l("Il manque des informations pour cette étape."))
    for check in move.checks:
        refusal = check(order, details)
        if refusal:
            raise WorkflowError(refusal)
    change = StatusChange(order=order, from_status=order.status, to_status=Status(to).value,
                          actor=actor, note=note[:NOTE_MAX] if note else note, at=utcnow())
    order.status = Status(to).value
    order.status_changed_at = change.at
    db.session.add(change)
    _flush()
    if announce:
        order_news.status_changed(order, Status(to).value, Status(to).label, note)
    return change


def _blank(value) -> bool:
    """A detail not given: None, or text with nothing in it (an empty form field)."""
    return value is None or (isinstance(value, str) and not value.strip())


def lock(order) -> None:
    """Write pending changes, then reload the order under a row lock (PostgreSQL), so the
    status checked is the current one and nobody else moves it before we commit.

    The reload repeats the options the order was loaded with, eager joins included: only the
    order's row is locked (FOR UPDATE OF orders), since PostgreSQL refuses to lock the
    nullable side of an outer join."""
    _flush()
    db.session.refresh(order, with_for_update={"of": type(order)})


def _flush() -> None:
    """Flush; a concurrent change of the order (version counter) becomes a WorkflowError."""
    try:
        db.session.flush()
    except StaleDataError as error:
        raise WorkflowError(_l("Cette commande vient d'être modifiée par quelqu'un d'autre. "
                               "Rechargez la page et réessayez.")) from error
