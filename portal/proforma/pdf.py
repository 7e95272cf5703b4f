"""Proforma PDFs, drawn with reportlab (platypus) in DejaVu Sans.

`render_proforma(doc)` turns a proforma snapshot (the `content` of a Proforma, or the same
dict built for a preview) into PDF bytes. It must be called inside an app context (labels go
through Flask-Babel in the current locale; the logo is read from `portal.storage`). The
snapshot is a plain dict:

    {
      "kind": "proforma",
      "reference": "DEM-2026-00042",          # the order's reference
      "number": "PF-2026-00007", "version": 2, # "number" is None on an unsaved preview
      "issued_on": "2026-11-26",               # ISO dates
      "valid_until": "2026-12-03",
      "currency": "XOF", "locale": "fr_CI",   # amounts formatted with portal.money.format_money
      "company": {"name": str, "address": str|None, "phone": str|None, "whatsapp": str|None,
                  "email": str|None, "identifiers": [["RCCM", "CI-ABJ-…"], …],
                  "legal_mentions": str|None, "logo_key": str|None},   # logo: portal.storage
      "customer": {"name": str, "email": str, "phone": str|None, "company_name": str|None,
                   "company_registration": str|None, "address": str|None},  # address: lines
      "delivery": {"mode": "pickup"|"home", "pickup_point": str|None},
      "lines": [{"item_id", "name", "url", "details"|None, "quantity": int, "unit_price": int,
                 "total": int}],                # item_id is not shown
      "unavailable": [{"item_id", "name", "url", "details"|None, "quantity": int,
                       "reason": str}],
      "fees": [{"kind": "service"|"shipping"|"other", "label": str, "amount": int}],
      "subtotal": int, "fees_total": int, "total": int, "deposit": int, "balance": int,
      "deposit_percent": int|None,            # basis points when the deposit is a percentage
      "payment_methods": [{"name": str, "instructions": str}],
      "message": str|None,
    }

Every text from the snapshot is escaped before it reaches Paragraph markup. Amounts are drawn as
plain table strings, never through Paragraph: Paragraph treats U+202F (Babel's French thousands
separator) as a breakable space and would draw it as an ordinary one.

`render_invoice(doc)` draws the final invoice (kind "invoice") and the credit note (kind
"credit_note") from the same blocks; its snapshot drops the proforma's validity, deposit and
unavailable items and adds:

    {
      "kind": "invoice"|"credit_note", "number": "FAC-2026-00007"|"AV-2026-00002",
      "proforma": "PF-2026-00001 v2",          # the proforma the invoice follows
      "corrects": None|"FAC-2026-00007",      # the invoice a credit note cancels
      "fees": [{"kind": "service"|"transport"|"other"|"adjustment", "label", "amount"}],
                                              # an adjustment may be negative (a credit)
      "weight_grams": int|None,               # shown next to the transport fee
      "payments": [{"label": "Acompte", "method", "paid_on", "amount", "receipt"}],
      "paid_total": int, "balance_due": int,  # negative: the agency owes the member
      "refunds": [{"amount", "method", "refunded_on", "reference"|None}],
      "payment_methods": [...],               # drawn only while a balance is due
    }

`render_receipt(doc)` draws a payment receipt:

    {
      "kind": "receipt", "number": "REC-2026-00003", "reference", "issued_on", "currency",
      "locale", "company", "customer",
      "document": "Proforma PF-2026-00001 v1",  # what the payment was made against
      "payment": {"kind": "deposit"|"balance", "method", "paid_on", "transaction_ref"|None,
                  "amount": int},
      "remaining": int,                         # still due on that step
    }

The blocks (`_header`, `_parties`, `_lines`, `_totals`, `_payment`, `_legal`, …) take the
snapshot and return flowables; `_document()` lays them out on A4 with the footer.
"""
import io
import unicodedata
from datetime import date
from decimal import Decimal
from functools import cache, partial
from pathlib import Path
from urllib.parse import urlsplit
from xml.sax.saxutils import escape

from babel.dates import format_date
from babel.numbers import format_decimal, format_percent
from flask import current_app
from flask_babel import gettext as _
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    Image,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from portal import storage
from portal.links import short_url
from portal.money import format_money

FONT = "DejaVuSans"
BOLD = "DejaVuSans-Bold"
FONT_DIR = Path(__file__).resolve().parent.parent / "fonts"

LEFT = 16 * mm                      # page edge to content, on both sides
MARGIN = LEFT - 6                   # page edge to frame (SimpleDocTemplate pads its frame by 6)
WIDTH = A4[0] - 2 * LEFT            # the usable width
LOGO_BOX = (40 * mm, 18 * mm)       # the largest logo, aspect ratio kept
TITLE_WIDTH = WIDTH * 0.42          # the header's right-hand column (title, number, dates)

ACCENT = colors.HexColor("#1f3a5f")
MUTED = colors.HexColor("#5b6570")
RULE = colors.HexColor("#c9d1da")
SHADE = colors.HexColor("#f1f4f7")

# Sizes in points: body text and amounts, then the small print.
BODY, SMALL = 9, 7.5


@cache
def register_fonts() -> None:
    """Register DejaVu Sans (regular and bold) once per process, as a family so <b> works."""
    pdfmetrics.registerFont(TTFont(FONT, str(FONT_DIR / "DejaVuSans.ttf")))
    pdfmetrics.registerFont(TTFont(BOLD, str(FONT_DIR / "DejaVuSans-Bold.ttf")))
    pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=BOLD, italic=FONT, boldItalic=BOLD)


@cache
def styles() -> dict[str, ParagraphStyle]:
    """The paragraph styles every block shares (all in DejaVu Sans)."""
    register_fonts()
    base = ParagraphStyle("body", fontName=FONT, fontSize=BODY, leading=BODY * 1.3,
                          splitLongWords=True)
    small = ParagraphStyle("small", base, fontSize=SMALL, leading=SMALL * 1.3,
                           textColor=MUTED)
    return {
        "body": base,
        "small": small,
        "right": ParagraphStyle("right", base, alignment=TA_RIGHT),
        "company": ParagraphStyle("company", base, fontName=BOLD, fontSize=13, leading=16,
                                  textColor=ACCENT),
        "title": ParagraphStyle("title", base, fontName=BOLD, fontSize=20, leading=24,
                                alignment=TA_RIGHT, textColor=ACCENT),
        "heading": ParagraphStyle("heading", base, fontName=BOLD, fontSize=10, leading=13,
                                  textColor=ACCENT, spaceBefore=9, spaceAfter=3,
                                  keepWithNext=True),
        "label": ParagraphStyle("label", small, fontName=BOLD, textColor=ACCENT,
                                spaceAfter=2),
        "th": ParagraphStyle("th", base, fontName=BOLD, fontSize=8, leading=10,
                             textColor=colors.white),
        "th_right": ParagraphStyle("th_right", base, fontName=BOLD, fontSize=8, leading=10,
                                   textColor=colors.white, alignment=TA_RIGHT),
        "th_center": ParagraphStyle("th_center", base, fontName=BOLD, fontSize=8, leading=10,
                                    textColor=colors.white, alignment=TA_CENTER),
        "notice": ParagraphStyle("notice", base, fontName=BOLD, alignment=TA_CENTER,
                                 textColor=ACCENT),
        "subhead": ParagraphStyle("subhead", base, fontName=BOLD, alignment=TA_RIGHT,
                                  textColor=ACCENT),
    }


# Text helpers --------------------------------------------------------------------------------

def esc(text) -> str:
    """Snapshot text made safe for Paragraph markup: control characters dropped, <, > and &
    escaped, line breaks kept as <br/>."""
    text = str(text or "").replace("\r\n", "\n").replace("\r", "\n")
    text = "".join(char for char in text
                   if char in "\n\t" or unicodedata.category(char) not in ("Cc", "Cf"))
    return escape(text).replace("\n", "<br/>")


def _link(url: str) -> str:
    """The link shortened as on the order page (links.short_url), clickable when it is an
    http(s) address."""
    shown = esc(short_url(url))
    if urlsplit(str(url or "")).scheme.lower() not in ("http", "https"):
        return shown
    href = escape(str(url).strip(), {'"': "&quot;"})
    return f'<a href="{href}" color="#5b6570">{shown}</a>'


def _day(value, doc: dict, style: str = "long") -> str:
    if not value:
        return ""
    if isinstance(value, str):
        value = date.fromisoformat(value)
    return format_date(value, style, locale=doc["locale"])


def _money(doc: dict, minor: int) -> str:
    return format_money(minor, doc["currency"], doc["locale"])


def _p(markup: str, style: str = "body") -> Paragraph:
    """A paragraph from markup whose snapshot parts were already escaped with esc()."""
    return Paragraph(markup, styles()[style])


def _lines_of(*texts) -> str:
    """Non-empty texts (already escaped) joined by line breaks."""
    return "<br/>".join(text for text in texts if text)


# Blocks --------------------------------------------------------------------------------------

def _logo(company: dict):
    """The company logo scaled into LOGO_BOX, or None when unset, missing or unreadable."""
    key = company.get("logo_key")
    if not key:
        return None
    try:
        data = storage.read(key)
        width, height = ImageReader(io.BytesIO(data)).getSize()
    except (OSError, ValueError) as error:
        current_app.logger.warning("logo %s left out of the PDF: %s", key, error)
        return None
    scale = min(LOGO_BOX[0] / width, LOGO_BOX[1] / height, 1)
    return Image(io.BytesIO(data), width=width * scale, height=height * scale, hAlign="LEFT")


def _company(doc: dict) -> list:
    """Logo, name, address and contacts, legal identifiers."""
    company = doc["company"]
    phones = [
        _("Tél. : %(phone)s", phone=company["phone"]) if company.get("phone") else "",
        _("WhatsApp : %(number)s", number=company["whatsapp"]) if company.get("whatsapp") else "",
    ]
    contacts = [esc(company.get("address")), " · ".join(esc(phone) for phone in phones if phone),
                esc(company.get("email"))]
    identifiers = " · ".join(esc(f"{name} : {value}")
                             for name, value in company.get("identifiers") or [])
    parts = [_logo(company), _p(esc(company["name"]), "company"),
             _p(_lines_of(*contacts)), _p(identifiers, "small") if identifiers else None]
    return [part for part in parts if part is not None]


def _header_rows(doc: dict, *between: str) -> list[str]:
    """The order's reference, then `between` (markup), then the date of issue."""
    return [esc(_("Commande : %(reference)s", reference=doc["reference"])), *between,
            esc(_("Date d'émission : %(date)s", date=_day(doc.get("issued_on"), doc)))]


def _title(title: str, number: str, rows: list[str]) -> list:
    """The document's title (made smaller, down to 14 pt, when it would not fit on one line),
    its number in bold, then `rows` of markup (right-hand column)."""
    style = styles()["title"]
    room = TITLE_WIDTH - 6  # the cell's left padding
    size = max(14, min(style.fontSize, room / pdfmetrics.stringWidth(title, BOLD, 1)))
    fitted = ParagraphStyle("title_fitted", style, fontSize=size, leading=size * 1.2)
    return [Paragraph(esc(title), fitted), _p(f"<b>{esc(number)}</b>", "right"),
            Spacer(1, 4), _p(_lines_of(*rows), "right")]


def _header(doc: dict, title: str, number: str, rows: list[str]) -> Table:
    """Company on the left, the document's identity (see _title) on the right."""
    table = Table([[_company(doc), _title(title, number, rows)]],
                  colWidths=[WIDTH - TITLE_WIDTH, TITLE_WIDTH], splitInRow=1)
    table.setStyle(TableStyle([
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (0, -1), 0),
        ("RIGHTPADDING", (-1, 0), (-1, -1), 0),
        ("LINEBELOW", (0, 0), (-1, -1), 1.2, ACCENT),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 8),
    ]))
    return table


def _customer(doc: dict) -> list:
    customer = doc["customer"]
    registration = customer.get("company_registration")
    lines = [
        f"<b>{esc(customer['name'])}</b>",
        esc(customer.get("company_name")),
        esc(_("N° d'immatriculation : %(number)s", number=registration)) if registration else "",
        esc(customer.get("address")),
        " · ".join(esc(customer.get(key)) for key in ("email", "phone") if customer.get(key)),
    ]
    return [_p(esc(_("CLIENT")), "label"), _p(_lines_of(*lines))]


def _delivery(doc: dict) -> list:
    delivery = doc.get("delivery") or {}
    if delivery.get("mode") == "pickup":
        text = _lines_of(esc(_("Retrait au point de collecte")),
                         f"<b>{esc(delivery.get('pickup_point'))}</b>")
    else:
        text = esc(_("Livraison à domicile"))
    return [_p(esc(_("LIVRAISON")), "label"), _p(text)]


def _parties(doc: dict, delivery: bool = True) -> Table:
    """The customer and (unless `delivery` is false) the delivery mode, side by side in shaded
    boxes."""
    cells, widths = [_customer(doc)], [WIDTH * 0.58]
    if delivery:
        cells += ["", _delivery(doc)]
        widths += [WIDTH * 0.04, WIDTH * 0.38]
    table = Table([cells], colWidths=widths, splitInRow=1, hAlign="LEFT")
    table.setStyle(TableStyle([
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        *(("BACKGROUND", (column, 0), (column, 0), SHADE) for column in range(0, len(cells), 2)),
        ("TOPPADDING", (0, 0), (-1, -1), 6),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 7),
        ("LEFTPADDING", (0, 0), (-1, -1), 7),
    ]))
    return table


def _article(line: dict) -> Paragraph:
    """An item's name and details (smaller), then its link (smaller, shortened)."""
    small = f'<font size="{SMALL}" color="#5b6570">'
    markup = f"<b>{esc(line['name'])}</b>"
    if line.get("details"):
        markup += f" {small}· {esc(line['details'])}</font>"
    if line.get("url"):
        markup += f"<br/>{small}{_link(line['url'])}</font>"
    return _p(markup)


def _amounts(doc: dict) -> list[int]:
    """Every amount a document of any kind may draw."""
    amounts = [doc.get(key) for key in ("subtotal", "total", "deposit", "balance", "paid_total",
                                        "balance_due", "remaining")]
    for key in ("lines", "fees", "payments", "refunds"):
        for entry in doc.get(key) or []:
            amounts += [entry.get("unit_price"), entry.get("total"), entry.get("amount")]
    amounts.append((doc.get("payment") or {}).get("amount"))
    return [amount for amount in amounts if amount is not None]


def _amount_width(doc: dict) -> float:
    """Wide enough for the widest amount of the document, within sensible bounds; every table
    of a document uses the same width, so their amount columns line up."""
    register_fonts()  # measured in the bold face, maybe before any style is built
    widest = max((pdfmetrics.stringWidth(_money(doc, amount), BOLD, BODY)
                  for amount in _amounts(doc)), default=0)
    return min(max(widest + 14, 27 * mm), 48 * mm)


def _table_style(rows: int, amount_columns: int = 0, center: int | None = 1) -> TableStyle:
    """The look of item tables: accent header, thin rules, the `center` column centred, the
    last `amount_columns` right-aligned."""
    commands = [
        ("BACKGROUND", (0, 0), (-1, 0), ACCENT),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("FONTNAME", (0, 0), (-1, -1), FONT),
        ("FONTSIZE", (0, 1), (-1, -1), BODY),
        ("TOPPADDING", (0, 0), (-1, -1), 2.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
        ("LINEBELOW", (0, 1), (-1, -1), 0.4, RULE),
    ]
    if center is not None:
        commands.append(("ALIGN", (center, 0), (center, -1), "CENTER"))
    if amount_columns:
        commands.append(("ALIGN", (-amount_columns, 1), (-1, -1), "RIGHT"))
    commands += [("BACKGROUND", (0, row), (-1, row), SHADE) for row in range(2, rows, 2)]
    return TableStyle(commands)


def _grid(headers: list[tuple[str, str]], rows: list[list], widths: list[float],
          amount_columns: int = 0, center: int | None = 1) -> Table:
    """An item table: `headers` are (label, style) pairs, the header row repeats on each page."""
    header = [_p(esc(label), style) for label, style in headers]
    table = Table([header, *rows], colWidths=widths, repeatRows=1, splitInRow=1)
    table.setStyle(_table_style(len(rows) + 1, amount_columns, center))
    return table


def _lines(doc: dict) -> Table:
    """The priced items: Article, Qté, Prix unitaire, Total (the header repeats on each page)."""
    amount = _amount_width(doc)
    headers = [(_("Article"), "th"), (_("Qté"), "th_center"), (_("Prix unitaire"), "th_right"),
               (_("Total"), "th_right")]
    rows = [[_article(line), str(line["quantity"]), _money(doc, line["unit_price"]),
             _money(doc, line["total"])] for line in doc["lines"]]
    if not rows:
        rows = [[_p(esc(_("Aucun article disponible.")), "small"), "", "", ""]]
    return _grid(headers, rows, [WIDTH - 12 * mm - 2 * amount, 12 * mm, amount, amount],
                 amount_columns=2)


def _unavailable(doc: dict) -> list:
    """Items the agency cannot buy, with their reasons; they are not in the totals."""
    if not doc.get("unavailable"):
        return []
    headers = [(_("Article"), "th"), (_("Qté"), "th_center"), (_("Motif"), "th")]
    rows = [[_article(line), str(line["quantity"]), _p(esc(line.get("reason")))]
            for line in doc["unavailable"]]
    table = _grid(headers, rows, [WIDTH * 0.5, 12 * mm, WIDTH * 0.5 - 12 * mm])
    return [_p(esc(_("Articles indisponibles")), "heading"),
            _p(esc(_("Ces articles ne sont pas comptés dans le total.")),
               "small"), Spacer(1, 3), table]


def _deposit_label(doc: dict) -> str:
    percent = doc.get("deposit_percent")
    if percent is None:
        return _("Acompte à verser")
    shown = format_percent(Decimal(percent) / 10_000, locale=doc["locale"],
                           decimal_quantization=False)
    return _("Acompte à verser (%(percent)s)", percent=shown)


def _weight(doc: dict) -> str:
    """4200 g -> "4,2" in the document's locale (kept on one line)."""
    grams = Decimal(doc["weight_grams"])
    return format_decimal(grams / 1000, locale=doc["locale"]).replace("\u202f", "\xa0")


def _fee_rows(doc: dict) -> list[tuple[str, int, bool]]:
    """The subtotal, then one row per fee (negative amounts as Babel prints them); the transport
    fee says the weight when it is known."""
    rows = [(_("Sous-total articles"), doc["subtotal"], False)]
    for fee in doc.get("fees") or []:
        label = fee["label"]
        if fee.get("kind") == "transport" and doc.get("weight_grams"):
            label = _("%(label)s (%(weight)s kg)", label=label, weight=_weight(doc))
        rows.append((label, fee["amount"], False))
    return rows


def proforma_totals(doc: dict) -> list[tuple[str, int, bool]]:
    """(label, amount, emphasised) rows of a proforma's totals block."""
    return [
        *_fee_rows(doc),
        (_("Total"), doc["total"], True),
        (_deposit_label(doc), doc["deposit"], True),
        (_("Solde à l'arrivée"), doc["balance"], False),
    ]


def _payment_label(doc: dict, payment: dict) -> str:
    """"Acompte · Orange Money · 20 novembre 2026", then "Reçu REC-2026-00003" below."""
    parts = [payment.get("label"), payment.get("method"), _day(payment.get("paid_on"), doc)]
    label = " · ".join(str(part) for part in parts if part)
    if payment.get("receipt"):
        label += "\n" + _("Reçu %(number)s", number=payment["receipt"])
    return label


def invoice_totals(doc: dict) -> list[tuple[str, int | None, bool]]:
    """(label, amount, emphasised) rows of an invoice's totals block: the fees and the total,
    the payments received (under a heading row whose amount is None), what was paid and the
    balance; a credit note stops at its amount."""
    rows = _fee_rows(doc)
    if doc["kind"] == "credit_note":
        return [*rows, (_("Montant de l'avoir"), doc["total"], True)]
    rows.append((_("Total"), doc["total"], True))
    if doc.get("payments"):
        rows.append((_("Paiements reçus"), None, False))
        rows += [(_payment_label(doc, payment), payment["amount"], False)
                 for payment in doc["payments"]]
    rows.append((_("Total payé"), doc["paid_total"], False))
    if doc["balance_due"] < 0:
        rows.append((_("Trop-perçu à rembourser"), -doc["balance_due"], True))
    else:
        rows.append((_("Solde à payer"), doc["balance_due"], True))
    return rows


def _totals(doc: dict, rows: list[tuple[str, int | None, bool]],
            label_width: float = 70 * mm) -> KeepTogether:
    """Labels and amounts, right-aligned under the lines table; emphasised rows in bold, rows
    without an amount as small headings."""
    amount = _amount_width(doc)
    data = [[_p(esc(label), "subhead") if value is None
             else _p(f"<b>{esc(label)}</b>" if strong else esc(label), "right"),
             "" if value is None else _money(doc, value)] for label, value, strong in rows]
    commands = [
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("ALIGN", (1, 0), (1, -1), "RIGHT"),
        ("FONTNAME", (1, 0), (1, -1), FONT),
        ("FONTSIZE", (1, 0), (1, -1), BODY),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]
    for index, (_label, value, strong) in enumerate(rows):
        if value is None:
            commands += [("LINEABOVE", (0, index), (-1, index), 0.4, RULE),
                         ("TOPPADDING", (0, index), (-1, index), 5)]
        elif strong:
            commands += [("FONTNAME", (1, index), (1, index), BOLD),
                         ("BACKGROUND", (0, index), (-1, index), SHADE),
                         ("LINEABOVE", (0, index), (-1, index), 0.6, ACCENT)]
    table = Table(data, colWidths=[label_width, amount], hAlign="RIGHT", splitInRow=1)
    table.setStyle(TableStyle(commands))
    return KeepTogether([Spacer(1, 4), table])


def _payment(doc: dict) -> list:
    """Each payment method's name and instructions (line breaks kept), two per row."""
    methods = doc.get("payment_methods") or []
    if not methods:
        return []
    cells = [[_p(f"<b>{esc(method['name'])}</b>"), _p(esc(method.get("instructions")))]
             for method in methods]
    if len(cells) % 2:
        cells.append("")
    table = Table([cells[index:index + 2] for index in range(0, len(cells), 2)],
                  colWidths=[WIDTH / 2] * 2, splitInRow=1)
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"),
                               ("LEFTPADDING", (0, 0), (0, -1), 0),
                               ("BOTTOMPADDING", (0, 0), (-1, -1), 6)]))
    return [_p(esc(_("Modalités de paiement")), "heading"), table]


def _message(doc: dict) -> list:
    if not doc.get("message"):
        return []
    return [_p(esc(_("Message de notre équipe")), "heading"), _p(esc(doc["message"]))]


def _legal(doc: dict, notice: str | None) -> list:
    """The company's legal mentions, then a framed notice (what kind of document this is)."""
    parts = [Spacer(1, 8)]
    mentions = doc["company"].get("legal_mentions")
    if mentions:
        parts.append(_p(esc(mentions), "small"))
    if notice:
        box = Table([[_p(esc(notice), "notice")]], colWidths=[WIDTH])
        box.setStyle(TableStyle([("BOX", (0, 0), (-1, -1), 0.8, ACCENT),
                                 ("TOPPADDING", (0, 0), (-1, -1), 5),
                                 ("BOTTOMPADDING", (0, 0), (-1, -1), 6)]))
        parts += [Spacer(1, 4), box]
    return [KeepTogether(parts)]


# Page and document ---------------------------------------------------------------------------

class _NumberedCanvas(Canvas):
    """Draws the footer on every page once the page count is known: "Page 1 / 2"."""

    def __init__(self, *args, footer: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self._footer = footer
        self._pages: list[dict] = []

    def showPage(self):
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self):
        for state in self._pages:
            self.__dict__.update(state)
            self._draw_footer(len(self._pages))
            super().showPage()
        super().save()

    def _draw_footer(self, pages: int) -> None:
        self.saveState()
        self.setStrokeColor(RULE)
        self.setLineWidth(0.5)
        self.line(LEFT, 12 * mm, A4[0] - LEFT, 12 * mm)
        self.setFont(FONT, SMALL)
        self.setFillColor(MUTED)
        self.drawString(LEFT, 8 * mm, self._footer)
        self.drawRightString(A4[0] - LEFT, 8 * mm,
                             _("Page %(page)s / %(pages)s", page=self._pageNumber, pages=pages))
        self.restoreState()


def _document(doc: dict, story: list, title: str, footer: str) -> bytes:
    """Lay the story out on A4 pages with the footer; return the PDF's bytes."""
    register_fonts()
    buffer = io.BytesIO()
    template = SimpleDocTemplate(
        buffer, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=12 * mm,
        bottomMargin=15 * mm, title=title, author=doc["company"]["name"],
        creator=doc["company"]["name"], lang=str(doc.get("locale", "fr")).replace("_", "-"))
    template.build(story, canvasmaker=partial(_NumberedCanvas, footer=footer))
    return buffer.getvalue()


def _identity(doc: dict) -> str:
    """"PF-2026-00007 v2 · DEM-2026-00042", "FAC-2026-00007 · DEM-2026-00042" (the reference
    alone on a preview)."""
    if not doc.get("number"):
        return doc["reference"]
    if doc.get("kind", "proforma") == "proforma":
        return f"{doc['number']} v{doc.get('version') or 1} · {doc['reference']}"
    return f"{doc['number']} · {doc['reference']}"


def render_proforma(doc: dict) -> bytes:
    """The proforma snapshot `doc` (see the module docstring) as PDF bytes (app context)."""
    title = _("PROFORMA")
    if doc.get("number"):
        number = _("%(number)s — version %(version)s", number=doc["number"],
                   version=doc.get("version") or 1)
    else:
        number = _("APERÇU — non émise")
    rows = _header_rows(doc)
    if doc.get("valid_until"):
        rows.append(esc(_("Valable jusqu'au %(date)s", date=_day(doc["valid_until"], doc))))
    story = [
        _header(doc, title, number, rows), Spacer(1, 8),
        _parties(doc), Spacer(1, 10),
        _lines(doc),
        _totals(doc, proforma_totals(doc)),
        *_unavailable(doc),
        *_payment(doc),
        *_message(doc),
        *_legal(doc, _("Ce document est une proforma : il ne s'agit pas d'une facture.")),
    ]
    return _document(doc, story, f"{title} {_identity(doc)}", _identity(doc))


def _refunds(doc: dict) -> list:
    """Money given back to the member: date, method, reference, amount."""
    refunds = doc.get("refunds") or []
    if not refunds:
        return []
    amount = _amount_width(doc)
    headers = [(_("Date"), "th"), (_("Moyen"), "th"), (_("Référence"), "th"),
               (_("Montant"), "th_right")]
    rows = [[_day(refund.get("refunded_on"), doc), _p(esc(refund.get("method"))),
             _p(esc(refund.get("reference") or "—")), _money(doc, refund["amount"])]
            for refund in refunds]
    widths = [38 * mm, (WIDTH - 38 * mm - amount) / 2, (WIDTH - 38 * mm - amount) / 2, amount]
    return [_p(esc(_("Remboursements")), "heading"),
            _grid(headers, rows, widths, amount_columns=1, center=None)]


def render_invoice(doc: dict) -> bytes:
    """The final invoice or the credit note snapshot `doc` (see the module docstring) as PDF
    bytes (app context)."""
    if doc.get("kind") not in ("invoice", "credit_note"):
        raise ValueError(f"not an invoice or a credit note: {doc.get('kind')!r}")
    credit_note = doc["kind"] == "credit_note"
    title = _("AVOIR") if credit_note else _("FACTURE")
    between = [esc(_("Proforma %(label)s", label=doc["proforma"]))] if doc.get("proforma") else []
    rows = _header_rows(doc, *between)
    if credit_note and doc.get("corrects"):
        cancels = esc(_("Annule la facture %(number)s", number=doc["corrects"]))
        rows.append(f"<b>{cancels}</b>")
    balance_due = not credit_note and doc.get("balance_due", 0) > 0
    story = [
        _header(doc, title, doc["number"], rows), Spacer(1, 8),
        _parties(doc), Spacer(1, 10),
        _lines(doc),
        _totals(doc, invoice_totals(doc), label_width=100 * mm),
        *_refunds(doc),
        *(_payment(doc) if balance_due else []),
        *_message(doc),
        *_legal(doc, None),
    ]
    return _document(doc, story, f"{title} {_identity(doc)}", _identity(doc))


def render_receipt(doc: dict) -> bytes:
    """The payment receipt snapshot `doc` (see the module docstring) as PDF bytes (app
    context)."""
    title = _("REÇU DE PAIEMENT")
    payment = doc["payment"]
    nature = _("Acompte") if payment["kind"] == "deposit" else _("Solde")
    rows = _header_rows(doc, esc(_("Au titre de : %(document)s", document=doc["document"])))
    amount = _amount_width(doc)
    headers = [(_("Nature"), "th"), (_("Moyen de paiement"), "th"),
               (_("Date du paiement"), "th"), (_("Référence de transaction"), "th"),
               (_("Montant reçu"), "th_right")]
    free = WIDTH - 22 * mm - 34 * mm - amount
    table = _grid(headers, [[_p(esc(nature)), _p(esc(payment.get("method"))),
                             _day(payment.get("paid_on"), doc),
                             _p(esc(payment.get("transaction_ref") or "—")),
                             _money(doc, payment["amount"])]],
                  [22 * mm, free * 0.45, 34 * mm, free * 0.55, amount],
                  amount_columns=1, center=None)
    table.setStyle(TableStyle([("FONTNAME", (-1, 1), (-1, -1), BOLD)]))
    if doc["remaining"] > 0:
        remaining = _totals(doc, [(_("Reste à payer sur cette étape :"), doc["remaining"],
                                   True)])
    else:
        remaining = _p(esc(_("Étape réglée intégralement.")), "subhead")
    story = [
        _header(doc, title, doc["number"], rows), Spacer(1, 8),
        _parties(doc, delivery=False), Spacer(1, 10),
        table, Spacer(1, 4), remaining,
        *_legal(doc, _("Ce reçu atteste la réception du paiement ; "
                       "il ne remplace pas la facture.")),
    ]
    return _document(doc, story, f"{title} {_identity(doc)}", _identity(doc))
