"""Payment pages of members: sending a proof, seeing it, downloading receipts; the photos of
the goods on arrival."""
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from portal import storage
from portal.extensions import db
from portal.payments import proofs
from portal.payments.files import _megabytes as megabytes
from portal.payments.forms import awaited_proof_form
from portal.payments.models import ArrivalPhoto, PaymentProof, ProofKind
from portal.proforma.routes import pdf_response, viewable_order
from portal.requests.routes import member_order
from portal.security import FILE_SECURITY_POLICY
from portal.workflow import Status, WorkflowError

bp = Blueprint("payments", __name__)

PDF = "application/pdf"


def order_page(order):
    return redirect(url_for("requests.order_detail", order_id=order.id))


def why_no_proof(order) -> str:
    """Why the member cannot send a proof now, in words for them."""
    if order.status == Status.QUOTED.value and proofs.amount_due(order, ProofKind.DEPOSIT) > 0:
        return _("Votre proforma a expiré : demandez-nous une nouvelle version avant de payer.")
    if order.status in (Status.DEPOSIT_REVIEW.value, Status.BALANCE_REVIEW.value):
        return _("Votre preuve de paiement est en cours de vérification : nous vous prévenons "
                 "dès qu'elle est traitée.")
    if order.status == Status.CANCELLED.value:
        return _("Cette commande est annulée : aucun paiement n'est attendu.")
    return _("Cette commande n'attend pas de paiement pour le moment.")


@bp.route("/commandes/<int:order_id>/paiement", methods=["GET", "POST"])
@login_required
def send_proof(order_id: int):
    order = member_order(order_id)
    if not proofs.can_send_proof(order, current_user):
        flash(why_no_proof(order), "warning")
        return order_page(order)
    kind, document, due, form = awaited_proof_form(order)
    if form.validate_on_submit():
        try:
            proofs.submit_proof(order, current_user, form.clean, form.amount, form.method,
                                form.paid_on.data, form.transaction_ref.data, form.comment.data)
        except WorkflowError as error:
            db.session.rollback()
            flash(str(error.message), "danger")
            return order_page(order)
        db.session.commit()
        flash(_("Votre preuve de paiement est envoyée : nous la vérifions."), "success")
        return order_page(order)
    return render_template("payments/send_proof.html", order=order, form=form, kind=kind,
                           document=document, due=due,
                           methods=document.content.get("payment_methods") or [],
                           max_mb=megabytes(current_app.config["MAX_CONTENT_LENGTH"])), (
        422 if form.is_submitted() else 200)


# --- Files: the member's own (or any, for staff) ---------------------------------------------

def proof_of(order_id: int, proof_id: int) -> PaymentProof:
    order = viewable_order(order_id)
    proof = db.session.get(PaymentProof, proof_id)
    if proof is None or proof.order_id != order.id:
        abort(404)
    return proof


def private_file(data: bytes, content_type: str, disposition: str, filename: str):
    response = make_response(data)
    response.headers["Content-Type"] = content_type
    response.headers["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Security-Policy"] = FILE_SECURITY_POLICY
    return response


def proof_response(proof: PaymentProof, disposition: str):
    """The proof's stored (cleaned) file, named after its order."""
    extension = "pdf" if proof.content_type == PDF else proof.file_key.rsplit(".", 1)[-1]
    return private_file(storage.read(proof.file_key), proof.content_type, disposition,
                        f"preuve-{proof.order.reference}-{proof.id}.{extension}")


@bp.route("/commandes/<int:order_id>/preuves/<int:proof_id>/fichier")
@login_required
def proof_file(order_id: int, proof_id: int):
    """The stored (cleaned) file: images shown inline, PDFs downloaded."""
    proof = proof_of(order_id, proof_id)
    return proof_response(proof, "attachment" if proof.content_type == PDF else "inline")


@bp.route("/commandes/<int:order_id>/recus/<int:proof_id>/pdf")
@login_required
def receipt_pdf(order_id: int, proof_id: int):
    proof = proof_of(order_id, proof_id)
    if not proof.receipt_key:
        abort(404)
    response = pdf_response(storage.read(proof.receipt_key), f"{proof.receipt_number}.pdf",
                            "attachment")
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.route("/commandes/<int:order_id>/photos/<int:photo_id>")
@login_required
def arrival_photo(order_id: int, photo_id: int):
    order = viewable_order(order_id)
    photo = db.session.get(ArrivalPhoto, photo_id)
    if photo is None or photo.order_id != order.id:
        abort(404)
    extension = photo.file_key.rsplit(".", 1)[-1]
    return private_file(storage.read(photo.file_key), photo.content_type, "inline",
                        f"photo-{order.reference}-{photo.id}.{extension}")


# Staff pages (the review queue and decisions) live in their own module, on the same blueprint.
from portal.payments import staff_routes  # noqa: E402,F401
