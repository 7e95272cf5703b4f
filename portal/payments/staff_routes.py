"""Staff pages of payments: the queue of proofs to check, the review page (the file shown
inline beside what is due) and its two decisions, accept with the amount received or refuse
with a reason."""
from datetime import timedelta
from functools import cache

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import joinedload

from portal import clock
from portal.date_format import duration
from portal.extensions import db
from portal.money import amount_input
from portal.payments import proofs
from portal.payments.models import PaymentProof, ProofKind, with_twin_flag
from portal.payments.routes import bp, proof_response
from portal.payments.staff_forms import AcceptProofForm, RefuseProofForm
from portal.requests.models import Order
from portal.security import FRAMED_FILE_SECURITY_POLICY, staff_required
from portal.workflow import WorkflowError


@bp.app_template_filter("waiting")
def waiting(since) -> str:
    """ "depuis 2 h": how long ago `since` (naive UTC) was, in the short form of a table."""
    if since is None:
        return ""
    delta = max(clock.utcnow() - since, timedelta())
    return _("depuis %(duration)s", duration=duration(delta, format="short"))


def staff_proof(proof_id: int) -> PaymentProof:
    return db.get_or_404(PaymentProof, proof_id)  # no eager join: see workflow.lock


def proof_to_read(proof_id: int) -> PaymentProof:
    """The proof with its order, the member, the order's proformas and proofs, and whether it
    has a twin, in one statement (a row per proforma and proof: a few), for a page that only
    reads; a decision loads through `staff_proof`: the workflow locks that order."""
    result = db.session.execute(_proof_statement(), {"proof_id": proof_id})
    proof = result.unique().scalar_one_or_none()
    if proof is None:
        abort(404)
    return proof


@cache
def _proof_statement() -> Select:
    """Built once (the twin flag's alias and the joins are work to build each time)."""
    order = joinedload(PaymentProof.order, innerjoin=True)
    return select(PaymentProof).where(PaymentProof.id == bindparam("proof_id")).options(
        order.joinedload(Order.user, innerjoin=True), order.joinedload(Order.proformas),
        order.joinedload(Order.proofs), with_twin_flag())


def accept_form_for(proof: PaymentProof, submitted: bool = False) -> AcceptProofForm:
    """The accept form; the page's blank one starts from the amount declared."""
    expected = max(proofs.amount_due(proof.order, ProofKind(proof.kind)), proof.declared_amount)
    if submitted:
        return AcceptProofForm(currency=proof.currency, expected=expected)
    return AcceptProofForm(currency=proof.currency, expected=expected, formdata=None, data={
        "received_amount": amount_input(proof.declared_amount, proof.currency)})


def render_review(proof: PaymentProof, accept_form=None, refuse_form=None, status: int = 200):
    order, kind = proof.order, ProofKind(proof.kind)
    return render_template(
        "payments/staff/review.html", proof=proof, order=order, kind=kind,
        document=proofs.document_paid(order, kind), due=proofs.amount_due(order, kind),
        received=proofs.received(order, kind), reused=proofs.reused_elsewhere(proof),
        others=[other for other in order.proofs if other.id != proof.id],
        accept_form=accept_form or accept_form_for(proof),
        refuse_form=refuse_form or RefuseProofForm(formdata=None)), status


@bp.route("/equipe/preuves")
@staff_required
def proof_queue():
    pending = proofs.pending_proofs()
    due = {proof.id: proofs.amount_due(proof.order, ProofKind(proof.kind)) for proof in pending}
    return render_template("payments/staff/queue.html", pending=pending, due=due)


@bp.route("/equipe/preuves/<int:proof_id>")
@staff_required
def review_proof(proof_id: int):
    return render_review(proof_to_read(proof_id))


@bp.route("/equipe/preuves/<int:proof_id>/fichier")
@staff_required
def staff_proof_file(proof_id: int):
    """The stored (cleaned) file, inline: the review page frames it."""
    response = proof_response(staff_proof(proof_id), "inline")
    response.headers["Content-Security-Policy"] = FRAMED_FILE_SECURITY_POLICY
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return response


@bp.route("/equipe/preuves/<int:proof_id>/accepter", methods=["POST"])
@staff_required
def accept_proof(proof_id: int):
    proof = staff_proof(proof_id)
    form = accept_form_for(proof, submitted=True)
    if not form.validate_on_submit():
        return render_review(proof, accept_form=form, status=422)
    try:
        proofs.accept_proof(proof, current_user, form.amount)
    except WorkflowError as error:
        db.session.rollback()
        flash(str(error.message), "danger")
        return redirect(url_for("payments.review_proof", proof_id=proof_id))
    db.session.commit()
    flash(_("Paiement accepté pour %(ref)s : reçu %(number)s envoyé au membre.",
            ref=proof.order.reference, number=proof.receipt_number), "success")
    return redirect(url_for("payments.proof_queue"))


@bp.route("/equipe/preuves/<int:proof_id>/refuser", methods=["POST"])
@staff_required
def refuse_proof(proof_id: int):
    proof = staff_proof(proof_id)
    form = RefuseProofForm()
    if not form.validate_on_submit():
        return render_review(proof, refuse_form=form, status=422)
    try:
        proofs.refuse_proof(proof, current_user, form.reason.data, form.comment.data)
    except WorkflowError as error:
        db.session.rollback()
        flash(str(error.message), "danger")
        return redirect(url_for("payments.review_proof", proof_id=proof_id))
    db.session.commit()
    flash(_("Preuve refusée pour %(ref)s ; le membre est prévenu et peut en envoyer une autre.",
            ref=proof.order.reference), "info")
    return redirect(url_for("payments.proof_queue"))
