"""The final invoice, the credit note and the payment receipt carry what the member needs, in
French, amounts as Babel formats them, every character drawn from DejaVu Sans."""
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from pypdf import PdfReader
from reportlab.pdfbase import pdfmetrics

from portal.money import format_money
from portal.proforma import pdf
from portal.proforma.pdf import render_invoice, render_receipt
from tests.proforma.test_pdf import HOSTILE, flat, pages_text, sample_snapshot, text_of

ROOT = Path(__file__).resolve().parents[2]

PROFORMA_ONLY = ("version", "valid_until", "unavailable", "deposit", "balance", "deposit_percent")


def invoice_snapshot(lines: int = 3, currency: str = "EUR", locale: str = "fr_FR",
                     kind: str = "invoice") -> dict:
    """The proforma sample turned into an invoice: transport by weight, a negative adjustment,
    a deposit received, the balance still due."""
    doc = sample_snapshot(lines, currency, locale)
    for key in PROFORMA_ONLY:
        del doc[key]
    unit = doc["lines"][0]["unit_price"]
    doc["fees"] = [doc["fees"][0],
                   {"kind": "transport", "label": "Transport", "amount": unit // 2},
                   {"kind": "adjustment", "label": "Article indisponible (avoir)",
                    "amount": -unit // 10}]
    doc["fees_total"] = sum(fee["amount"] for fee in doc["fees"])
    doc["total"] = doc["subtotal"] + doc["fees_total"]
    deposit = doc["total"] // 2
    doc.update({
        "kind": kind, "issued_on": "2026-12-01", "proforma": "PF-2026-00001 v2",
        "number": "FAC-2026-00007" if kind == "invoice" else "AV-2026-00002",
        "corrects": "FAC-2026-00007" if kind == "credit_note" else None,
        "weight_grams": 4200,
        "payments": [{"label": "Acompte", "method": "Orange Money", "paid_on": "2026-11-20",
                      "amount": deposit, "receipt": "REC-2026-00003"}],
        "paid_total": deposit, "balance_due": doc["total"] - deposit, "refunds": [],
    })
    return doc


def receipt_snapshot(currency: str = "EUR", locale: str = "fr_FR", remaining: int = 50000,
                     kind: str = "deposit") -> dict:
    sample = sample_snapshot(currency=currency, locale=locale)
    return {
        "kind": "receipt", "number": "REC-2026-00003", "reference": "DEM-2026-00042",
        "issued_on": "2026-11-21", "currency": currency, "locale": locale,
        "company": sample["company"], "customer": sample["customer"],
        "document": "Proforma PF-2026-00001 v1",
        "payment": {"kind": kind, "method": "Wave", "paid_on": "2026-11-20",
                    "transaction_ref": "WV-8F3K2Q", "amount": 123450},
        "remaining": remaining,
    }


def money(doc: dict, minor: int) -> str:
    return flat(format_money(minor, doc["currency"], doc["locale"]))


@pytest.fixture
def invoice():
    return invoice_snapshot()


def test_an_invoice_names_itself_its_order_and_its_proforma(app_ctx, invoice):
    data = render_invoice(invoice)
    text = text_of(data)
    assert data.startswith(b"%PDF")
    for expected in ["FACTURE", "FAC-2026-00007", "Commande : DEM-2026-00042",
                     "Proforma PF-2026-00001 v2", "Date d'émission : 1 décembre 2026",
                     "FAC-2026-00007 · DEM-2026-00042", "Page 1 / 1"]:
        assert expected in text
    assert "AVOIR" not in text and "Annule" not in text
    assert "proforma : il ne s'agit pas" not in text


def test_it_keeps_the_shared_blocks(app_ctx, invoice):
    text = text_of(render_invoice(invoice))
    for expected in ["Société Générale d'Achats", "RCCM : CI-ABJ-2026-B-12345",
                     "Hélène Kouassi-N'Guessan", "Boutique Hélène & Fils", "Agence de Treichville",
                     "Crème hydratante Éclat", "Prix unitaire", "SARL au capital de 1 000 000 F CFA.",
                     "les prix incluent la livraison"]:
        assert expected in text


@pytest.mark.parametrize(("currency", "locale"), [("EUR", "fr_FR"), ("XOF", "fr_CI")])
def test_the_totals_block_in_french(app_ctx, currency, locale):
    doc = invoice_snapshot(currency=currency, locale=locale)
    text = text_of(render_invoice(doc))
    for label, key in [("Sous-total articles", "subtotal"), ("Total", "total"),
                       ("Total payé", "paid_total"), ("Solde à payer", "balance_due")]:
        assert f"{label} {money(doc, doc[key])}" in text
    service, transport, adjustment = doc["fees"]
    assert f"Frais de service (8 %) {money(doc, service['amount'])}" in text
    assert f"Transport (4,2 kg) {money(doc, transport['amount'])}" in text
    assert f"Article indisponible (avoir) {money(doc, adjustment['amount'])}" in text
    if currency == "EUR":
        assert money(doc, doc["total"]) == "8 493,36 €"
        assert money(doc, adjustment["amount"]) == "-123,45 €"
    else:
        assert money(doc, doc["total"]) == "17 200 000 F CFA"
        assert money(doc, adjustment["amount"]) == "-250 000 F CFA"
        assert "," not in money(doc, doc["total"])


def test_payments_are_listed_with_their_receipts(app_ctx, invoice):
    invoice["payments"].append({"label": "Complément", "method": "Wave", "paid_on": "2026-11-28",
                                "amount": 10000, "receipt": "REC-2026-00009"})
    invoice["paid_total"] += 10000
    invoice["balance_due"] -= 10000
    text = text_of(render_invoice(invoice))
    deposit = invoice["payments"][0]["amount"]
    assert "Paiements reçus" in text
    assert (f"Acompte · Orange Money · 20 novembre 2026 Reçu REC-2026-00003 "
            f"{money(invoice, deposit)}") in text
    assert "Complément · Wave · 28 novembre 2026 Reçu REC-2026-00009 100,00 €" in text
    assert f"Total payé {money(invoice, deposit + 10000)}" in text
    assert f"Solde à payer {money(invoice, invoice['balance_due'])}" in text


def test_payment_methods_only_while_a_balance_is_due(app_ctx, invoice):
    assert "Modalités de paiement" in text_of(render_invoice(invoice))
    invoice["paid_total"], invoice["balance_due"] = invoice["total"], 0
    text = text_of(render_invoice(invoice))
    assert f"Solde à payer {money(invoice, 0)}" in text
    assert "Modalités de paiement" not in text and "IBAN" not in text


def test_an_overpayment_is_owed_to_the_member(app_ctx, invoice):
    invoice["payments"][0]["amount"] = invoice["paid_total"] = invoice["total"] + 2500
    invoice["balance_due"] = -2500
    text = text_of(render_invoice(invoice))
    assert "Trop-perçu à rembourser 25,00 €" in text
    assert "Solde à payer" not in text
    assert "-25,00 €" not in text
    assert "Modalités de paiement" not in text


def test_refunds_are_listed(app_ctx, invoice):
    invoice["refunds"] = [{"amount": 2500, "method": "Orange Money", "refunded_on": "2026-12-02",
                           "reference": "OM-REMB-77"},
                          {"amount": 1000, "method": "Espèces", "refunded_on": "2026-12-03",
                           "reference": None}]
    text = text_of(render_invoice(invoice))
    assert "Remboursements" in text
    assert "2 décembre 2026 Orange Money OM-REMB-77 25,00 €" in text
    assert "3 décembre 2026 Espèces — 10,00 €" in text
    assert "Remboursements" not in text_of(render_invoice(invoice_snapshot()))


def test_a_credit_note_cancels_the_invoice(app_ctx):
    doc = invoice_snapshot(kind="credit_note")
    doc["refunds"] = [{"amount": doc["total"], "method": "Virement bancaire",
                       "refunded_on": "2026-12-02", "reference": "VIR-0042"}]
    text = text_of(render_invoice(doc))
    for expected in ["AVOIR", "AV-2026-00002", "Annule la facture FAC-2026-00007",
                     "Proforma PF-2026-00001 v2", "DEM-2026-00042",
                     f"Montant de l'avoir {money(doc, doc['total'])}",
                     f"Article indisponible (avoir) {money(doc, doc['fees'][2]['amount'])}",
                     "Remboursements", "VIR-0042", "AV-2026-00002 · DEM-2026-00042"]:
        assert expected in text
    for absent in ["FACTURE", "Solde à payer", "Total payé", "Paiements reçus",
                   "Modalités de paiement"]:
        assert absent not in text


def test_an_unknown_kind_is_refused(app_ctx, invoice):
    invoice["kind"] = "proforma"
    with pytest.raises(ValueError):
        render_invoice(invoice)


def test_hostile_text_appears_literally_on_an_invoice(app_ctx, invoice):
    invoice["lines"][0]["name"] = HOSTILE
    invoice["customer"]["name"] = HOSTILE
    invoice["fees"][2]["label"] = HOSTILE
    invoice["payments"][0]["method"] = HOSTILE
    invoice["refunds"] = [{"amount": 100, "method": HOSTILE, "refunded_on": "2026-12-02",
                           "reference": HOSTILE}]
    invoice["proforma"] = HOSTILE
    text = text_of(render_invoice(invoice))
    assert text.count(HOSTILE) == 7


def test_glyphs_and_narrow_spaces(app_ctx):
    """U+202F reaches the PDF as itself, and every character drawn (the minus sign of a credit
    included) is in the cmap of both DejaVu faces."""
    pdf.register_fonts()
    covered = set(pdfmetrics.getFont(pdf.FONT).face.charToGlyph)
    covered &= set(pdfmetrics.getFont(pdf.BOLD).face.charToGlyph)
    raw = ""
    for currency, locale in (("EUR", "fr_FR"), ("XOF", "fr_CI")):
        for data in (render_invoice(invoice_snapshot(currency=currency, locale=locale)),
                     render_invoice(invoice_snapshot(currency=currency, locale=locale,
                                                     kind="credit_note")),
                     render_receipt(receipt_snapshot(currency, locale))):
            raw += "\n".join(pages_text(data))
    assert "\u202f" in raw
    doc = invoice_snapshot()
    assert format_money(doc["total"], "EUR", "fr_FR").replace("\xa0", " ") in raw.replace(
        "\xa0", " ")
    missing = {char for char in raw if char != "\n" and ord(char) not in covered}
    assert not missing


def test_thirty_lines_run_onto_two_pages(app_ctx):
    doc = invoice_snapshot(lines=30)
    pages = pages_text(render_invoice(doc))
    assert len(pages) == 2
    assert "Page 1 / 2" in pages[0] and "Page 2 / 2" in pages[1]
    assert "FAC-2026-00007 · DEM-2026-00042" in pages[1]
    assert "Article n° 30" in flat(pages[1])
    assert f"Solde à payer {money(doc, doc['balance_due'])}" in flat(pages[1])


# The receipt ----------------------------------------------------------------------------------

def test_a_receipt_on_one_page(app_ctx):
    doc = receipt_snapshot()
    pages = pages_text(render_receipt(doc))
    text = flat("\n".join(pages))
    assert len(pages) == 1
    for expected in ["REÇU DE PAIEMENT", "REC-2026-00003", "Commande : DEM-2026-00042",
                     "Au titre de : Proforma PF-2026-00001 v1",
                     "Date d'émission : 21 novembre 2026",
                     "Société Générale d'Achats", "Hélène Kouassi-N'Guessan",
                     "Nature", "Moyen de paiement", "Date du paiement",
                     "Référence de transaction", "Montant reçu",
                     "Acompte Wave 20 novembre 2026 WV-8F3K2Q 1 234,50 €",
                     "Reste à payer sur cette étape : 500,00 €",
                     "SARL au capital de 1 000 000 F CFA.",
                     "Ce reçu atteste la réception du paiement ; il ne remplace pas la facture.",
                     "REC-2026-00003 · DEM-2026-00042", "Page 1 / 1"]:
        assert expected in text
    assert "LIVRAISON" not in text and "Étape réglée" not in text


def test_a_balance_receipt_that_settles_the_step(app_ctx):
    doc = receipt_snapshot(currency="XOF", locale="fr_CI", remaining=0, kind="balance")
    doc["document"] = "Facture FAC-2026-00007"
    doc["payment"]["transaction_ref"] = None
    text = text_of(render_receipt(doc))
    assert "Au titre de : Facture FAC-2026-00007" in text
    assert "Solde Wave 20 novembre 2026 — 123 450 F CFA" in text
    assert "Étape réglée intégralement." in text
    assert "Reste à payer" not in text


def test_hostile_text_on_a_receipt(app_ctx):
    doc = receipt_snapshot()
    doc["payment"]["method"] = "<i>Wave</i> & Co"
    doc["payment"]["transaction_ref"] = doc["customer"]["name"] = doc["document"] = HOSTILE
    text = text_of(render_receipt(doc))
    assert text.count(HOSTILE) == 3
    assert "<i>Wave</i> & Co" in text


def test_the_receipt_bold_amount(app_ctx):
    """The amount received is drawn in the bold face."""
    fonts = []

    def visit(text, cm, tm, font, size):
        if "1 234,50" in text.replace("\u202f", " ").replace("\xa0", " "):
            fonts.append(str((font or {}).get("/BaseFont")))

    data = render_receipt(receipt_snapshot())
    PdfReader(io.BytesIO(data)).pages[0].extract_text(visitor_text=visit)
    assert fonts and all("Bold" in name for name in fonts)


FIRST_PDF = """
import sys
from portal import create_app
from portal.proforma import pdf
from tests.proforma.test_invoice_pdf import invoice_snapshot, receipt_snapshot, text_of
from tests.proforma.test_pdf import sample_snapshot
app = create_app({{"TESTING": True, "SECRET_KEY": "x" * 32,
                  "SQLALCHEMY_DATABASE_URI": "sqlite://"}})
with app.app_context():
    sys.stdout.write(text_of(pdf.{render}({snapshot}())))
"""


@pytest.mark.parametrize("render, snapshot, title", [
    ("render_receipt", "receipt_snapshot", "REÇU DE PAIEMENT"),
    ("render_invoice", "invoice_snapshot", "FACTURE"),
    ("render_proforma", "sample_snapshot", "PROFORMA"),
])
def test_any_document_can_be_the_first_pdf_a_fresh_process_renders(render, snapshot, title):
    """A worker just started (after a deploy, or gunicorn's max_requests) whose first PDF is a
    receipt: accepting a proof must not fail for want of the fonts, which only the other
    documents registered before measuring with them."""
    code = FIRST_PDF.format(render=render, snapshot=snapshot)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ROOT, timeout=120, env=os.environ | {"PORTAL_ENV": "development"})
    assert done.returncode == 0, done.stderr[-2000:]
    assert title in done.stdout
