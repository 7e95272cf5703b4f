"""The proforma PDF carries what PRODUCT.md lists under "Documents", in French, with every
character drawn from DejaVu Sans, whatever the member typed."""
import io
import re

import pytest
from PIL import Image as PILImage
from pypdf import PdfReader
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics

from portal import storage
from portal.links import short_url
from portal.money import format_money
from portal.proforma import pdf
from portal.proforma.pdf import render_proforma

HOSTILE = "<script>alert(1)</script> & <b>"
NAMES = ["Crème hydratante Éclat", "Baskets cuir taille 42", "Montre connectée Série 9",
         "Sac à dos étanche", "Écouteurs sans fil"]


def sample_snapshot(lines: int = 3, currency: str = "EUR", locale: str = "fr_FR") -> dict:
    """A realistic proforma snapshot: `lines` priced items, one unavailable, two fees, 50 %."""
    unit = 123450 if currency == "EUR" else 2500000
    items = [{
        "name": NAMES[index % len(NAMES)] if index < len(NAMES) else f"Article n° {index + 1}",
        "url": f"https://www.boutique-exemple.fr/produits/{index + 1}"
               "/categorie/beaute/soins-du-visage?ref=abcdef0123456789&variant=blue",
        "details": "Couleur : bleu nuit, taille M" if index % 2 == 0 else None,
        "quantity": index % 3 + 1,
        "unit_price": unit,
        "total": unit * (index % 3 + 1),
    } for index in range(lines)]
    subtotal = sum(item["total"] for item in items)
    fees = [{"kind": "service", "label": "Frais de service (8 %)", "amount": subtotal * 8 // 100},
            {"kind": "shipping", "label": "Transport international estimé", "amount": unit}]
    fees_total = sum(fee["amount"] for fee in fees)
    total = subtotal + fees_total
    return {
        "kind": "proforma",
        "reference": "DEM-2026-00042",
        "number": "PF-2026-00007", "version": 2,
        "issued_on": "2026-11-26", "valid_until": "2026-12-03",
        "currency": currency, "locale": locale,
        "company": {
            "name": "Société Générale d'Achats",
            "address": "Rue des Jardins, Cocody\nAbidjan, Côte d'Ivoire",
            "phone": "+225 27 22 00 00 00", "whatsapp": "+225 07 00 00 00 00",
            "email": "contact@sga.example",
            "identifiers": [["RCCM", "CI-ABJ-2026-B-12345"], ["NCC", "2612345A"]],
            "legal_mentions": "SARL au capital de 1 000 000 F CFA.\nPrix TTC, hors droits de "
                              "douane éventuels.",
            "logo_key": None,
        },
        "customer": {
            "name": "Hélène Kouassi-N'Guessan", "email": "helene@example.ci",
            "phone": "+225 07 12 34 56 78", "company_name": "Boutique Hélène & Fils",
            "company_registration": "CI-ABJ-2025-A-999",
            "address": "Villa 12, Riviera Palmeraie\nAbidjan\nCôte d'Ivoire",
        },
        "delivery": {"mode": "pickup", "pickup_point": "Agence de Treichville"},
        "lines": items,
        "unavailable": [{"name": "Parfum édition limitée", "url": "https://shop.example/parfum",
                         "details": None, "quantity": 1, "reason": "Rupture de stock"}],
        "fees": fees,
        "subtotal": subtotal, "fees_total": fees_total, "total": total,
        "deposit": total // 2, "balance": total - total // 2,
        "deposit_percent": 5000,
        "payment_methods": [
            {"name": "Orange Money", "instructions": "Numéro : 07 00 00 00 00\nNom : SGA"},
            {"name": "Virement bancaire", "instructions": "IBAN CI93 CI00 0000 0000\nBIC SGACIABJ"},
        ],
        "message": "Bonjour Hélène, les prix incluent la livraison en France.",
    }


def pages_text(data: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


def flat(text: str) -> str:
    """Every kind of space (including U+202F and U+00A0) as one plain space."""
    return re.sub(r"\s+", " ", text.replace("\u202f", " ").replace("\xa0", " "))


def text_of(data: bytes) -> str:
    return flat("\n".join(pages_text(data)))


@pytest.fixture
def snapshot():
    return sample_snapshot()


@pytest.fixture
def rendered(app_ctx, snapshot):
    data = render_proforma(snapshot)
    return data, text_of(data)


def test_a_pdf_comes_out(rendered):
    data, _text = rendered
    assert data.startswith(b"%PDF")


def test_it_names_the_proforma_its_order_and_its_dates(rendered):
    _data, text = rendered
    assert "PROFORMA" in text
    assert "PF-2026-00007 — version 2" in text
    assert "DEM-2026-00042" in text
    assert "26 novembre 2026" in text
    assert "Valable jusqu'au 3 décembre 2026" in text


def test_it_shows_company_and_customer_with_their_accents(rendered):
    _data, text = rendered
    for expected in ["Société Générale d'Achats", "RCCM : CI-ABJ-2026-B-12345",
                     "Hélène Kouassi-N'Guessan", "Boutique Hélène & Fils", "CI-ABJ-2025-A-999",
                     "helene@example.ci", "Riviera Palmeraie", "Agence de Treichville"]:
        assert expected in text


def test_it_lists_each_line_with_a_short_link(rendered, snapshot):
    _data, text = rendered
    for line in snapshot["lines"]:
        assert line["name"] in text
    assert "Crème hydratante Éclat" in text
    assert short_url(snapshot["lines"][0]["url"]) in text
    assert snapshot["lines"][0]["url"] not in text


def test_totals_are_formatted_in_french(rendered, snapshot):
    _data, text = rendered
    for amount in ["subtotal", "total", "deposit", "balance"]:
        assert flat(format_money(snapshot[amount], "EUR", "fr_FR")) in text
    assert flat(format_money(123450, "EUR", "fr_FR")) == "1 234,50 €"
    for label in ["Sous-total articles", "Frais de service (8 %)", "Transport international estimé",
                  "Acompte à verser (50 %)", "Solde à l'arrivée"]:
        assert label in text


def test_narrow_no_break_spaces_survive(app_ctx, snapshot):
    """Babel's French thousands separator (U+202F) reaches the PDF as itself (pypdf reads the
    no-break space U+00A0 before "€" back as a plain space)."""
    raw = "\n".join(pages_text(render_proforma(snapshot)))
    total = format_money(snapshot["total"], "EUR", "fr_FR")
    assert "\u202f" in total
    assert total.replace("\xa0", " ") in raw.replace("\xa0", " ")


def test_every_character_drawn_has_a_glyph(app_ctx, snapshot):
    """Nothing falls back to an empty box: every character in the PDF, and every amount, is in
    the cmap of the font it is drawn with."""
    pdf.register_fonts()
    covered = set(pdfmetrics.getFont(pdf.FONT).face.charToGlyph)
    covered &= set(pdfmetrics.getFont(pdf.BOLD).face.charToGlyph)
    snapshot["currency"], snapshot["locale"] = "XOF", "fr_CI"
    raw = "\n".join(pages_text(render_proforma(snapshot)))
    amounts = "".join(format_money(value, currency, locale)
                      for value in (123450, 12500000, 99999999999)
                      for currency, locale in (("EUR", "fr_FR"), ("XOF", "fr_CI")))
    missing = {char for char in raw + amounts if char != "\n" and ord(char) not in covered}
    assert not missing


def test_xof_amounts_have_no_decimals(app_ctx):
    snapshot = sample_snapshot(currency="XOF", locale="fr_CI")
    text = text_of(render_proforma(snapshot))
    assert flat(format_money(125000, "XOF", "fr_CI")) == "125 000 F CFA"
    assert flat(format_money(12500000, "XOF", "fr_CI")) == "12 500 000 F CFA"  # no cents in XOF
    assert flat(format_money(snapshot["total"], "XOF", "fr_CI")) in text
    assert "2 500 000 F CFA" in text
    assert "," not in flat(format_money(snapshot["total"], "XOF", "fr_CI"))


def test_unavailable_items_are_apart_with_their_reason(rendered):
    _data, text = rendered
    assert "Articles indisponibles" in text
    assert "Parfum édition limitée" in text
    assert "Rupture de stock" in text


def test_payment_instructions_message_and_legal_mentions(rendered):
    _data, text = rendered
    for expected in ["Orange Money", "Numéro : 07 00 00 00 00", "Nom : SGA", "Virement bancaire",
                     "IBAN CI93 CI00 0000 0000", "les prix incluent la livraison",
                     "SARL au capital de 1 000 000 F CFA.", "hors droits de douane"]:
        assert expected in text


def test_it_says_it_is_not_an_invoice(rendered):
    _data, text = rendered
    assert "Ce document est une proforma : il ne s'agit pas d'une facture." in text


def test_instruction_line_breaks_are_kept(app_ctx, snapshot):
    raw = "\n".join(pages_text(render_proforma(snapshot)))
    assert re.search(r"Numéro : 07 00 00 00 00\s*\n\s*Nom : SGA", raw)


def test_a_preview_says_it_is_not_issued(app_ctx, snapshot):
    snapshot["number"] = None
    text = text_of(render_proforma(snapshot))
    assert "APERÇU — non émise" in text
    assert "version" not in text


def test_home_delivery_and_a_fixed_deposit(app_ctx, snapshot):
    snapshot["delivery"] = {"mode": "home", "pickup_point": None}
    snapshot["deposit_percent"] = None
    text = text_of(render_proforma(snapshot))
    assert "Livraison à domicile" in text
    assert "Acompte à verser " in text
    assert "Acompte à verser (" not in text


@pytest.mark.parametrize("field", ["name", "details", "url"])
def test_hostile_text_appears_literally(app_ctx, snapshot, field):
    snapshot["lines"][0][field] = HOSTILE
    snapshot["customer"]["name"] = HOSTILE
    snapshot["message"] = HOSTILE
    snapshot["payment_methods"][0]["instructions"] = HOSTILE + "\n&amp; &#169;"
    text = text_of(render_proforma(snapshot))
    assert text.count(HOSTILE) == 4
    assert "&amp; &#169;" in text


def test_long_words_and_links_stay_on_the_page(app_ctx, snapshot):
    word = "Supercalifragilistique" * 12
    snapshot["lines"][0]["name"] = word
    snapshot["lines"][0]["url"] = "https://example.com/" + "a" * 400
    snapshot["customer"]["address"] = word
    snapshot["payment_methods"][0]["instructions"] = word
    data = render_proforma(snapshot)
    right_edges = []

    def visit(text, cm, tm, font, size):
        """Where each run of text ends on the page (x + its width in the font it uses)."""
        if text.strip():
            name = pdf.BOLD if "Bold" in str((font or {}).get("/BaseFont")) else pdf.FONT
            x = tm[4] * cm[0] + cm[4]
            right_edges.append(x + pdfmetrics.stringWidth(text.strip(), name, size * cm[0]))

    for page in PdfReader(io.BytesIO(data)).pages:
        page.extract_text(visitor_text=visit)
    assert right_edges and max(right_edges) <= A4[0] - pdf.LEFT + 0.5
    assert word in text_of(data).replace(" ", "")
    assert len(short_url(snapshot["lines"][0]["url"])) <= 50


def test_thirty_lines_run_onto_two_pages(app_ctx):
    snapshot = sample_snapshot(lines=30)
    pages = pages_text(render_proforma(snapshot))
    assert len(pages) == 2
    assert "Page 1 / 2" in pages[0]
    assert "Page 2 / 2" in pages[1]
    assert "Article n° 30" in flat(pages[1])
    assert "Article" in pages[1].split("Article n°")[0]  # the table header repeats


def test_a_logo_is_drawn(app_ctx, snapshot):
    buffer = io.BytesIO()
    PILImage.new("RGB", (120, 40), (31, 58, 95)).save(buffer, "PNG")
    snapshot["company"]["logo_key"] = storage.save(buffer.getvalue(), "logos", "png")
    data = render_proforma(snapshot)
    images = PdfReader(io.BytesIO(data)).pages[0].images
    assert len(images) == 1


@pytest.mark.parametrize("content", [None, b"not an image"])
def test_a_missing_or_broken_logo_is_left_out(app_ctx, snapshot, content):
    key = "logos/0123456789abcdef.png"
    if content:
        key = storage.save(content, "logos", "png")
    snapshot["company"]["logo_key"] = key
    data = render_proforma(snapshot)
    assert data.startswith(b"%PDF")
    assert not PdfReader(io.BytesIO(data)).pages[0].images


OVERSIZED = "\n".join(["Une très longue ligne de texte saisie par quelqu'un."] * 120)


@pytest.mark.parametrize("place", [("company", "address"), ("customer", "address"),
                                   ("lines", 0, "details"), ("fees", 0, "label"),
                                   ("unavailable", 0, "reason"),
                                   ("payment_methods", 0, "instructions")])
def test_text_taller_than_a_page_flows_on(app_ctx, snapshot, place):
    """A block longer than a page is split across pages instead of failing."""
    target = snapshot
    for step in place[:-1]:
        target = target[step]
    target[place[-1]] = OVERSIZED
    data = render_proforma(snapshot)
    assert len(PdfReader(io.BytesIO(data)).pages) >= 2


def test_control_characters_are_dropped(app_ctx, snapshot):
    snapshot["lines"][0]["name"] = "Sac\x00 \x1bbleu\u202e"
    text = text_of(render_proforma(snapshot))
    assert "Sac bleu" in text


def test_links_point_to_the_full_address(app_ctx, snapshot):
    url = 'https://shop.example/p?q="<b>"&id=1&' + "x" * 80
    snapshot["lines"][0]["url"] = url
    snapshot["lines"][1]["url"] = "javascript:alert(1)"
    page = PdfReader(io.BytesIO(render_proforma(snapshot))).pages[0]
    uris = [annot.get_object()["/A"]["/URI"] for annot in page.get("/Annots", [])]
    assert url in uris
    assert not any(uri.startswith("javascript") for uri in uris)
