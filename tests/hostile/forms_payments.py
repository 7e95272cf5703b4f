"""The money path: the member's proof upload, staff attaching a WhatsApp photo as a proof,
accepting or refusing a proof, the purchase, the shipment, the arrival (invoice and photos),
the correction of an invoice, cancelling (with a refund when money is held), the hand-over."""
import io
import re
from datetime import timedelta

from sqlalchemy import select

from portal.clock import utcnow
from portal.extensions import db
from portal.payments.models import PaymentProof, Refund
from portal.requests.models import Order
from tests.hostile import corpus as c
from tests.hostile import fields as f
from tests.hostile import probes
from tests.hostile.harness import Accepted, Case, Form, Mail, Page, Pdf, Refused
from tests.payments import builders
from tests.payments import corpus as payment_files

AMOUNT = "Indiquez un montant valide"
STAFF_AMOUNT = "Montant invalide : un nombre positif"
ABOVE_ZERO = "Le montant doit être supérieur à zéro."
NO_METHOD = "Choisissez un moyen de paiement dans la liste."
WEIGHT = "Poids invalide : en kilogrammes, par exemple 4,2."
SIGNED = "Montant invalide : par exemple 25 ou -25 pour un avoir."
NOT_FOUND = Refused(status=404)
STAFF_NAME = "Moussa Traoré"


def today(days: int = 0) -> str:
    """The agency's day (its time zone is Abidjan, UTC) moved by `days`."""
    return (utcnow().date() + timedelta(days=days)).isoformat()


def receipt_photo() -> tuple:
    return io.BytesIO(builders.png(11)), "recu.png"


RANDOM_KEY = "(a random key)"


def key_of(key: str | None) -> str | None:
    """RANDOM_KEY when `key` is one the portal made (nothing of the sender's file name)."""
    made = key and re.fullmatch(r"\w+/[0-9a-f]{32}\.\w+", key)
    return RANDOM_KEY if made else key


def proof_values(world, proof: PaymentProof | None) -> dict:
    if proof is None:
        return {}
    return {"file": key_of(proof.file_key), "amount_paid": proof.declared_amount,
            "transaction_ref": proof.transaction_ref, "comment": proof.comment,
            "method_id": proof.method_name,
            "received_amount": proof.received_amount, "reason": proof.refusal_reason}


def newest_proof(world) -> dict:
    return proof_values(world, probes.newest_proof("quoted_order")(world))


def pending_proof(world) -> dict:
    proof = db.session.get(PaymentProof, world.pending_proof)
    return proof_values(world, proof) | {"comment": proof.refusal_comment}


def review_page(world) -> str:
    return f"/equipe/preuves/{probes.newest_proof('quoted_order')(world).id}"


def order_values(key: str):
    def read(world) -> dict:
        order = db.session.get(Order, world.ids[key])
        return {"merchant_order_number": order.merchant_order_number, "carrier": order.carrier,
                "tracking_number": order.tracking_number, "tracking_url": order.tracking_url,
                "collected_by": order.handed_over_to, "note": order.cancel_note}
    return read


def invoice_values(key: str):
    def read(world) -> dict:
        content = db.session.get(Order, world.ids[key]).current_invoice.content
        fees = {fee["kind"]: fee for fee in content["fees"]}
        adjustment = fees.get("adjustment", {})
        return {"weight": content.get("weight_grams"), "transport": fees["transport"]["amount"],
                "adjustments-0-label": adjustment.get("label"),
                "adjustments-0-amount": adjustment.get("amount")}
    return read


def refund_values(world) -> dict:
    refund = db.session.scalar(select(Refund).where(Refund.order_id == world.confirmed_order))
    return {"refund": refund.amount, "refund_method": refund.method,
            "refund_reference": refund.reference}


PROOF = Form(
    "proof", "ProofForm", "owner", "/commandes/{quoted_order}/paiement",
    lambda w: {"file": receipt_photo(), "amount_paid": "95", "method_id": w.bank,
               "paid_on": today(), "transaction_ref": "WAVE-1", "comment": ""},
    stored=newest_proof, multipart=True, echoes=(Page("staff", review_page),))
MEDIA_PROOF = Form(
    "media_proof", "MediaProofForm", "staff", "/equipe/messages/{media_message}/media/{index}/preuve",
    lambda w: {"amount_paid": "95", "method_id": w.bank, "paid_on": today(),
               "transaction_ref": "", "comment": ""},
    stored=newest_proof, echoes=(Page("staff", review_page),))
ACCEPT = Form("accept_proof", "AcceptProofForm", "staff", "/equipe/preuves/{pending_proof}/accepter",
              lambda w: {"received_amount": "95"}, stored=pending_proof)
REFUSE = Form(
    "refuse_proof", "RefuseProofForm", "staff", "/equipe/preuves/{pending_proof}/refuser",
    lambda w: {"reason": "other", "comment": "Illisible"}, stored=pending_proof,
    echoes=(Page("owner", "/commandes/{deposit_review_order}"), Mail()))
PURCHASE = Form("purchase", "PurchaseForm", "staff", "/equipe/commandes/{confirmed_order}/achat",
                lambda w: {"merchant_order_number": "AMZ-1"},
                stored=order_values("confirmed_order"),
                echoes=(Page("staff", "/equipe/commandes/{confirmed_order}"),))
SHIPMENT = Form(
    "shipment", "ShipmentForm", "staff", "/equipe/commandes/{purchased_order}/expedition",
    lambda w: {"carrier": "DHL Express", "tracking_number": "JD1", "tracking_url": ""},
    stored=order_values("purchased_order"),
    echoes=(Page("owner", "/commandes/{purchased_order}"),
            Page("staff", "/equipe/commandes/{purchased_order}"), Mail()))
BLANK_ADJUSTMENTS = {f"adjustments-{n}-{part}": "" for n in range(3) for part in ("label", "amount")}
ARRIVAL = Form(
    "arrival", "ArrivalForm", "staff", "/equipe/commandes/{in_transit_order}/arrivee",
    lambda w: {"weight": "4,2", "transport": "", **BLANK_ADJUSTMENTS},
    stored=invoice_values("in_transit_order"), multipart=True,
    echoes=(Pdf(probes.current_invoice_pdf("in_transit_order")),))
CORRECTION = Form(
    "correction", "InvoiceForm", "staff", "/equipe/commandes/{arrived_order}/facture/correction",
    lambda w: {"weight": "4,2", "transport": "", **BLANK_ADJUSTMENTS},
    stored=invoice_values("arrived_order"),
    echoes=(Pdf(probes.current_invoice_pdf("arrived_order")),))
STAFF_CANCEL = Form(
    "staff_cancel", "StaffCancelForm", "staff", "/equipe/commandes/{submitted_order}/annuler",
    lambda w: {"reason": "other", "note": ""}, stored=order_values("submitted_order"),
    echoes=(Page("owner", "/commandes/{submitted_order}"), Mail()))
REFUND = Form(
    "refund", "StaffCancelForm", "staff", "/equipe/commandes/{confirmed_order}/annuler",
    lambda w: {"reason": "customer_request", "note": "", "refund": "95", "refund_method": "Wave",
               "refund_on": today(), "refund_reference": ""},
    stored=refund_values, echoes=(Page("staff", "/equipe/commandes/{confirmed_order}"),))
HAND_OVER = Form(
    "hand_over", "HandOverForm", "staff", "/equipe/commandes/{ready_order}/remise",
    lambda w: {"collected_by": "Awa Koné", "how": "pickup"}, stored=order_values("ready_order"),
    echoes=(Page("staff", "/equipe/commandes/{ready_order}"), Mail()))

PHOTOS = {"seven-photos": ([builders.png] * 7, Refused("6 photos au plus.")),
          "pdf-as-photo": (payment_files.blank_pdf,
                           Refused("fichier.png : seules les photos sont acceptées ici."))}
SCRIPT_NAME = "<script>alert(1)</script>.png"

CASES = [
    *f.files(PROOF, "file"),
    *f.values(PROOF, "file", {"script-filename": payment_files.zip_archive},
              Refused(payment_files.NOT_ACCEPTED), filename=SCRIPT_NAME),
    *f.values(PROOF, "file", {"11-megabytes": lambda: payment_files.padded_pdf(11 * 2**20)},
              Refused("Fichier trop volumineux", status=413)),
    *[Case(PROOF, "file", name, builders.png, Accepted(RANDOM_KEY), filename=filename,
           echoes=()) for name, filename in (("traversal-filename", "../../../etc/passwd.png"),
                                             ("script-filename-png", SCRIPT_NAME),
                                             ("no-extension", "recu"),
                                             ("double-extension", "recu.png.exe"))],
    *f.values(PROOF, "amount_paid", c.AMOUNTS, Refused(AMOUNT),
              overrides={"zero": Refused(ABOVE_ZERO), "nul": Refused(f.FORBIDDEN),
                         "way-above": ("950,01", Refused("Ce montant est bien plus élevé")),
                         "padded": (" 95,00 ", Accepted(9500))}),
    *f.values(PROOF, "method_id", {"hidden": "{hidden_method}", **c.IDS}, Refused(NO_METHOD)),
    *f.dates(PROOF, "paid_on"),
    *f.values(PROOF, "paid_on", {"tomorrow": today(1), "two-years-ago": today(-730)},
              Refused("La date du paiement ne peut pas être dans le futur."),
              overrides={"two-years-ago": Refused("Cette date remonte à plus d'un an")}),
    *f.text(PROOF, "transaction_ref", 100, plain=("script", "font-markup", "sql", "entity"),
            echoes=(Page("staff", review_page), Pdf(probes.receipt_pdf("quoted_order")))),
    *f.text(PROOF, "comment", 1000, multiline=True, breaks=("crlf", "lf")),
    *f.values(PROOF, "quoted_order", {"other-member": "{other_order}"}, NOT_FOUND),
    *f.values(MEDIA_PROOF, "amount_paid", {k: c.AMOUNTS[k] for k in ("negative", "alpha", "huge")},
              Refused(AMOUNT), ids={"index": 0}),
    *f.values(MEDIA_PROOF, "method_id", {"hidden": "{hidden_method}"}, Refused(NO_METHOD),
              ids={"index": 0}),
    *f.values(MEDIA_PROOF, "comment", {"script": c.SCRIPT, "nul": c.NUL},
              Accepted(f"Reçue sur WhatsApp ; jointe par {STAFF_NAME}. {c.SCRIPT}"),
              overrides={"nul": Refused(f.FORBIDDEN)}, ids={"index": 0}),
    *f.values(MEDIA_PROOF, "index", {"missing": "5", "huge": c.IDS["huge"]}, NOT_FOUND),
    *f.values(ACCEPT, "received_amount", c.AMOUNTS, Refused(STAFF_AMOUNT),
              overrides={"zero": Refused(ABOVE_ZERO), "nul": Refused(f.FORBIDDEN),
                         "way-above": ("950,01", Refused("Ce montant est bien plus élevé")),
                         "padded": (" 95,00 ", Accepted(9500))}),
    *f.values(ACCEPT, "pending_proof", {"missing": c.MISSING_ID}, NOT_FOUND),
    *f.choice(REFUSE, "reason", "Choisissez une raison dans la liste."),
    *f.text(REFUSE, "comment", 1000, multiline=True, plain=c.PLAIN, breaks=("crlf", "lf"),
            blank=None),
    *f.text(PURCHASE, "merchant_order_number", 100, plain=("script", "quotes", "sql")),
    *f.text(SHIPMENT, "carrier", 100, blank="required"),
    *f.text(SHIPMENT, "tracking_number", 100, plain=("script", "csv-formula")),
    *f.links(SHIPMENT, "tracking_url", names=("javascript", "javascript-case", "data", "crlf",
                                              "nul", "long"), echoes=SHIPMENT.echoes[:2]),
    *f.values(ARRIVAL, "weight", c.AMOUNTS, Refused(WEIGHT),
              overrides={"zero": Refused("Le poids doit être supérieur à zéro."),
                         "nul": Refused(f.FORBIDDEN), "too-precise": Accepted(1999),
                         "script": Refused(f.too_long(20)),
                         "heavy": ("99999", Refused("Ce poids est trop élevé")),
                         "dot": ("4.2", Accepted(4200))}),
    *f.values(ARRIVAL, "transport", c.AMOUNTS, Refused(STAFF_AMOUNT),
              overrides={"zero": Accepted(0), "nul": Refused(f.FORBIDDEN)}),
    *f.text(ARRIVAL, "adjustments-0-label", 120, plain=c.PLAIN, extra={"adjustments-0-amount": "5"}),
    *f.values(ARRIVAL, "adjustments-0-amount", c.AMOUNTS, Refused(SIGNED),
              overrides={"negative": Accepted(-100), "zero": Refused("Le montant ne peut pas être nul."),
                         "nul": Refused(f.FORBIDDEN), "double-sign": ("--5", Refused(SIGNED))},
              extra={"adjustments-0-label": "Remise"}),
    *f.files(ARRIVAL, "photos", named=True,
             overrides={name: None for name, _b, _m in c.hostile_files() if "pdf" in name}),
    *f.values(ARRIVAL, "photos", {"script-filename": payment_files.zip_archive},
              Refused(f"{SCRIPT_NAME} : {payment_files.NOT_ACCEPTED}"), filename=SCRIPT_NAME),
    *f.values(ARRIVAL, "photos", {}, None, overrides=PHOTOS),
    *f.values(CORRECTION, "weight", {k: c.AMOUNTS[k] for k in ("alpha", "negative", "nan")},
              Refused(WEIGHT)),
    *f.text(CORRECTION, "adjustments-0-label", 120, plain=("script", "font-markup", "para-markup"),
            extra={"adjustments-0-amount": "-5"}),
    *f.choice(STAFF_CANCEL, "reason"),
    *f.text(STAFF_CANCEL, "note", 500, multiline=True, breaks=("crlf", "lf")),
    *f.values(REFUND, "refund", c.AMOUNTS, Refused(STAFF_AMOUNT),
              overrides={"zero": Refused(ABOVE_ZERO), "nul": Refused(f.FORBIDDEN),
                         "more-than-held": ("95,01", Refused("L'agence n'a reçu que"))}),
    *f.text(REFUND, "refund_method", 120, blank="required"),
    *f.text(REFUND, "refund_reference", 100, plain=("script", "csv-formula")),
    *f.dates(REFUND, "refund_on", overrides={
        "tomorrow": (today(1), Refused("La date du remboursement ne peut pas être dans le futur."))}),
    *f.text(HAND_OVER, "collected_by", 120, blank="required"),
    *f.choice(HAND_OVER, "how", "Choisissez un mode de la liste."),
]
