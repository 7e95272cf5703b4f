"""Back-office forms: the quote editor (issue, preview, live totals, draft), internal notes,
writing to a member, filing a WhatsApp message, the pickup lookup, staff accounts, partner
shops and their logos, pickup points, terms, agency settings and payment methods."""
from datetime import timedelta

from sqlalchemy import select

from portal.clock import utcnow
from portal.extensions import db
from portal.members.models import User
from portal.messaging.models import OrderMessage
from portal.proforma.models import QuoteDraft
from portal.requests.models import Order, PartnerShop
from portal.staff.models import AgencySettings, PaymentMethod, PickupPoint, TermsVersion
from tests.hostile import corpus as c
from tests.hostile import fields as f
from tests.hostile import probes
from tests.hostile.harness import Accepted, Form, Ignored, Mail, Page, Pdf, Refused
from tests.payments import corpus as payment_files

STAFF_AMOUNT = "Montant invalide : un nombre positif"
NOT_FOUND = Refused(status=404)
NOT_AN_IMAGE = "Ce fichier n'est pas une image lisible."
NEW_STAFF = "nouveau@agence.example"


def in_days(days: int) -> str:
    return (utcnow().date() + timedelta(days=days)).isoformat()


def quote_data(world) -> dict:
    data = {"base_version": "0", "service_fee": "", "shipping": "", "deposit_mode": "percent",
            "deposit_percent": "50", "deposit_amount": "", "valid_until": in_days(7),
            "payment_methods": [str(world.bank), str(world.wave)], "message": ""}
    for index, item_id in enumerate(world.submitted_items.split(",")):
        data |= {f"lines-{index}-item_id": item_id, f"lines-{index}-unit_price": "10"}
    return data | {f"other_fees-{n}-{part}": "" for n in range(3) for part in ("label", "amount")}


def issued(world) -> dict:
    content = db.session.get(Order, world.submitted_order).current_proforma.content
    fees = {fee["kind"]: fee["amount"] for fee in content["fees"]}
    other = next((fee for fee in content["fees"] if fee["kind"] == "other"), {})
    return {"message": content["message"], "service_fee": fees.get("service", 0),
            "other_fees-7-label": None if len(content["fees"]) <= 3 else "(a fourth fee)",
            "shipping": fees.get("shipping"), "lines-0-unit_price": content["lines"][0]["unit_price"]
            if content["lines"] else None,
            "lines-0-reason": (content["unavailable"] or [{}])[0].get("reason"),
            "other_fees-0-label": other.get("label"), "other_fees-0-amount": other.get("amount"),
            "deposit_percent": content["deposit_percent"]}


def draft(world) -> dict:
    fields = db.session.get(QuoteDraft, world.submitted_order).fields
    return {name: values[0] for name, values in fields.items()}


LOGO_KEPT = "(a cleaned PNG)"


def newest(model, *columns, logo=None):
    def read(world) -> dict:
        row = db.session.scalar(select(model).order_by(model.id.desc()).limit(1))
        values = {name: getattr(row, name) for name in columns}
        if logo:
            values["logo"] = LOGO_KEPT if getattr(row, logo) else None
        return values
    return read


def newest_message(world) -> dict:
    return newest(OrderMessage, "body")(world)


def staff_account(world) -> dict:
    person = db.session.scalar(select(User).where(User.email == NEW_STAFF))
    return {"full_name": person.full_name}


def settings(world) -> dict:
    row = db.session.get(AgencySettings, 1)
    names = ("company_name", "company_address", "legal_mentions", "siret", "rccm",
             "pickup_message", "delivery_message", "service_fee_minimum", "transport_rate_per_kg")
    return {name: getattr(row, name) for name in names} | {
        "service_fee_percent": row.service_fee_bp, "proforma_validity_days":
        row.proforma_validity_days}


EDITOR = "/equipe/commandes/{submitted_order}/proforma"
QUOTE = Form("quote", "QuoteForm", "staff", EDITOR, quote_data, stored=issued,
             echoes=(Pdf(probes.current_proforma_pdf("submitted_order")),
                     Page("owner", "/commandes/{submitted_order}/proforma")))
PREVIEW = Form("quote_preview", "QuoteForm", "staff", EDITOR + "/apercu", quote_data)
TOTALS = Form("quote_totals", "QuoteForm", "staff", EDITOR + "/totaux", quote_data)
DRAFT = Form("quote_draft", "QuoteForm", "staff", EDITOR + "/brouillon", quote_data,
             stored=draft, echoes=(Page("staff", EDITOR),))
NOTE = Form("note", "NoteForm", "staff", "/equipe/commandes/{submitted_order}/notes",
            lambda w: {"body": "À rappeler"}, stored=newest_message,
            echoes=(Page("staff", "/equipe/commandes/{submitted_order}"),))
STAFF_MESSAGE = Form(
    "staff_message", "StaffMessageForm", "staff", "/equipe/commandes/{submitted_order}/messages",
    lambda w: {"body": "Bonjour", "channel": "email"}, stored=newest_message,
    echoes=(Page("owner", "/commandes/{submitted_order}"), Mail()))
FILE_MESSAGE = Form("file_message", "FileMessageForm", "staff",
                    "/equipe/messages/{stray_message}/classer",
                    lambda w: {"reference": "DEM-2026-90001"})
PICKUP = Form("pickup_lookup", "PickupLookupForm", "staff", "/equipe/retrait",
              lambda w: {"code": w.pickup_code}, method="GET")
STAFF_ACCOUNT = Form(
    "staff_account", "StaffAccountForm", "admin", "/equipe/comptes-equipe",
    lambda w: {"email": NEW_STAFF, "full_name": "Nouvelle Recrue", "role": "staff"},
    stored=staff_account, echoes=(Page("admin", "/equipe/comptes-equipe"), Mail()))
SHOP = Form(
    "shop", "ShopForm", "staff", "/equipe/boutiques/nouvelle",
    lambda w: {"name": "Shein", "url": "https://fr.shein.com/", "country": "FR",
               "description": "", "is_visible": "y"},
    stored=newest(PartnerShop, "name", "url", "description", logo="logo_key"), multipart=True,
    echoes=(Page("anon", "/boutiques"), Page("staff", "/equipe/boutiques")))
SHOP_EDIT = Form("shop_edit", "ShopForm", "staff", "/equipe/boutiques/{shop}", SHOP.data,
                 multipart=True)
POINT = Form(
    "pickup_point", "PickupPointForm", "admin", "/equipe/points-de-retrait",
    lambda w: {"name": "Agence Cocody", "address": "Rue 1", "opening_hours": "9 h - 18 h",
               "is_active": "y"},
    stored=newest(PickupPoint, "name", "address", "opening_hours"),
    echoes=(Page("admin", "/equipe/points-de-retrait"), Page("owner", "/panier/envoyer")))
TERMS = Form("terms", "TermsForm", "admin", "/equipe/conditions-generales",
             lambda w: {"text": "Nouvelles conditions."}, stored=newest(TermsVersion, "text"),
             echoes=(Page("anon", "/conditions-generales"),))
SETTINGS_DATA = {
    "company_name": "Société Générale d'Achats", "company_address": "Avenue Chardy",
    "company_phone": "", "company_whatsapp": "", "company_email": "", "siret": "", "ninea": "",
    "rccm": "", "vat_number": "", "legal_mentions": "", "currency": "EUR", "locale": "fr_FR",
    "timezone": "Africa/Abidjan", "service_fee_percent": "10", "service_fee_minimum": "5",
    "deposit_percent": "50", "proforma_validity_days": "7", "transport_rate_per_kg": "6,5",
    "staff_notification_email": "", "pickup_message": "", "delivery_message": "",
    "pickup_reminder_days": "3", "whatsapp_status_changed": "", "whatsapp_document_issued": "",
    "whatsapp_pickup_ready": "", "whatsapp_pickup_reminder": "", "whatsapp_staff_message": ""}
SETTINGS = Form("settings", "SettingsForm", "admin", "/equipe/parametres",
                lambda w: dict(SETTINGS_DATA), stored=settings, multipart=True,
                echoes=(Page("admin", "/equipe/parametres"),
                        Pdf(probes.preview_of("submitted_order"))))
def newest_method_page(world) -> str:
    """The edit page of the newest payment method (the list shortens the instructions)."""
    newest_id = db.session.scalar(select(db.func.max(PaymentMethod.id)))
    return f"/equipe/moyens-de-paiement/{newest_id}"


METHOD = Form(
    "payment_method", "PaymentMethodForm", "admin", "/equipe/moyens-de-paiement",
    lambda w: {"name": "Orange Money", "instructions": "+225 07 00 00 00 02", "is_active": "y"},
    stored=newest(PaymentMethod, "name", "instructions"),
    echoes=(Page("admin", newest_method_page), Pdf(probes.preview_of("submitted_order"))))
SHOP_MOVE = Form("shop_move", "route", "staff", "/equipe/boutiques/{shop}/deplacer/{direction}",
                 lambda w: {})
METHOD_MOVE = Form("payment_method_move", "route", "admin",
                   "/equipe/moyens-de-paiement/{bank}/deplacer/{direction}", lambda w: {})
RETRY = Form("outbox_retry", "route", "staff", "/equipe/envois/{whatsapp_row}/relancer",
             lambda w: {})
METHOD_EDIT = Form("payment_method_edit", "PaymentMethodForm", "admin",
                   "/equipe/moyens-de-paiement/{bank}", METHOD.data)

PERCENT = "Un pourcentage entre 0 et 100."
SETTINGS_PERCENT = "Indiquez un pourcentage entre 0 et 100"
SETTINGS_AMOUNT = "Indiquez un montant entre 0 et"
PERCENTS = {"above": "101", "negative": "-1", "alpha": "abc", "nan": "NaN",
            "overflow": "1e309", "too-precise": "7,555", "script": c.SCRIPT}
DAYS = {"zero": "0", "above": "366", "negative": "-1", "alpha": "abc", "overflow": "1e309",
        "decimal": "1.5", "arabic-indic": "٣"}
LOGOS = {"svg-script": (payment_files.svg_with_script, Refused(NOT_AN_IMAGE)),
         "html": (payment_files.html_named_png, Refused(NOT_AN_IMAGE)),
         "empty": (lambda: b"", None),
         "truncated-jpeg": (payment_files.truncated_jpeg, Refused(NOT_AN_IMAGE)),
         "100-megapixels": (payment_files.png_100_megapixels, Refused(NOT_AN_IMAGE)),
         "45-megapixels": (payment_files.png_45_megapixels, Refused(NOT_AN_IMAGE)),
         "pdf": (payment_files.blank_pdf, Refused(NOT_AN_IMAGE)),
         "zip": (payment_files.zip_archive, Refused(NOT_AN_IMAGE)),
         "too-big": (lambda: payment_files.padded_pdf(3 * 1024 * 1024),
                     Refused("Le logo dépasse 2 Mo."))}
PLACEHOLDER = "Variable inconnue"
BRACE = "Une accolade n'est pas fermée"

CASES = [
    *f.values(QUOTE, "lines-0-unit_price", c.AMOUNTS, Refused(STAFF_AMOUNT),
              overrides={"zero": Refused("Le prix doit être supérieur à zéro."),
                         "nul": Refused(f.FORBIDDEN), "script": Refused(f.too_long(20)),
                         "padded": (" 1 234,50 ", Accepted(123450))}),
    *f.text(QUOTE, "lines-0-reason", 200, plain=c.PLAIN, blank="required",
            extra={"lines-0-unavailable": "y"},
            overrides={"blank": Refused("Indiquez pourquoi l'article est indisponible.")}),
    *f.values(QUOTE, "lines-0-item_id", {"other-order": "{other_item}", **c.IDS},
              Refused("La liste des articles a changé : rechargez la page.")),
    *f.values(QUOTE, "lines-2-item_id", {"extra-line": "{other_item}",
                                         "repeated-line": "{submitted_item}"},
              Refused("La liste des articles a changé : rechargez la page."),
              extra={"lines-2-unit_price": "1"}),
    *f.values(QUOTE, "lines-99999999999999999999-item_id", {"huge-index": "{other_item}"},
              Refused("La liste des articles a changé : rechargez la page.")),
    *f.values(QUOTE, "other_fees-7-label", {"fourth-fee": "Emballage"}, Accepted(None),
              extra={"other_fees-7-amount": "5"}, echoes=()),
    *f.values(QUOTE, "service_fee", c.AMOUNTS, Refused(STAFF_AMOUNT),
              overrides={"zero": Accepted(0), "nul": Refused(f.FORBIDDEN),
                         "script": Refused(f.too_long(20))}),
    *f.values(QUOTE, "shipping", {k: c.AMOUNTS[k] for k in ("negative", "nan", "huge", "list")},
              Refused(STAFF_AMOUNT)),
    *f.text(QUOTE, "other_fees-0-label", 120, plain=("script", "font-markup", "para-markup",
                                                     "entity", "emoji"),
            extra={"other_fees-0-amount": "5"}),
    *f.values(QUOTE, "other_fees-0-amount", {k: c.AMOUNTS[k] for k in ("negative", "alpha",
                                                                         "overflow", "infinity")},
              Refused(STAFF_AMOUNT), extra={"other_fees-0-label": "Emballage"}),
    *f.values(QUOTE, "deposit_percent", PERCENTS, Refused(PERCENT)),
    *f.values(QUOTE, "deposit_amount", {"above-total": "1000", "negative": "-1",
                                        "alpha": "abc", "nan": "NaN"},
              Refused(STAFF_AMOUNT), extra={"deposit_mode": "amount"},
              overrides={"above-total": Refused("L'acompte dépasse le total.")}),
    *f.choice(QUOTE, "deposit_mode"),
    *f.values(QUOTE, "valid_until", {**c.DATES, "yesterday": in_days(-1),
                                     "in-two-years": in_days(730)},
              Refused("Une date entre aujourd'hui et dans un an."),
              overrides={name: Refused() for name in ("impossible", "alpha", "french-order",
                                                       "script")}),
    *f.values(QUOTE, "payment_methods", {"hidden": "{hidden_method}", "missing": c.MISSING_ID,
                                         "alpha": "abc", "script": c.SCRIPT},
              Refused("Choisissez parmi les moyens de paiement proposés."),
              overrides={"alpha": Refused(), "script": Refused()}),
    *f.text(QUOTE, "message", 2000, multiline=True, plain=c.PLAIN, breaks=("crlf", "lf"),
            long=tuple(c.TOO_LONG), echoes=(*QUOTE.echoes, Mail())),
    *f.values(QUOTE, "base_version", {"alpha": "abc", "huge": c.IDS["huge"], "stale": "3"},
              Refused("Une autre personne vient d'émettre une proforma"), follow=True),
    *f.values(QUOTE, "submitted_order", {"other-member": "{other_order}",
                                         "cart": "{cart}", "missing": c.MISSING_ID},
              Refused(status=404), overrides={"other-member": None}),
    *f.text(PREVIEW, "message", 2000, multiline=True, plain=("script", "font-markup",
                                                             "para-markup", "entity", "emoji",
                                                             "zero-width", "quotes"),
            breaks=("crlf",), control=("nul",)),
    *f.values(PREVIEW, "lines-0-unit_price", {k: c.AMOUNTS[k] for k in ("nan", "huge")},
              Refused(STAFF_AMOUNT)),
    *f.values(TOTALS, "lines-0-unit_price", {k: c.AMOUNTS[k] for k in (
        "nan", "infinity", "overflow", "huge", "negative", "nul")}, Ignored()),
    *f.values(TOTALS, "deposit_percent", PERCENTS, Ignored()),
    *f.values(DRAFT, "message", {"script": c.SCRIPT, "font-markup": c.FONT_MARKUP,
                                 "quotes": c.ATTRIBUTE_BREAKOUT, "long": c.LONG, "nul": c.NUL,
                                 "rtl-override": c.RTL_OVERRIDE}, Accepted(),
              overrides={"nul": Accepted("ab"), "rtl-override": Accepted("gnp.exe"),
                         "long": Accepted("A" * 2000)}),
    *f.values(DRAFT, "lines-0-unit_price", {"script": c.SCRIPT}, Accepted()),
    *f.text(NOTE, "body", 2000, multiline=True, blank="required"),
    *f.text(STAFF_MESSAGE, "body", 2000, multiline=True, plain=c.PLAIN, breaks=("crlf", "lf"),
            blank="required"),
    *f.choice(STAFF_MESSAGE, "channel", "Choisissez un canal de la liste.",
              extra={"sms": "sms"}),
    *f.values(FILE_MESSAGE, "reference", {"script": c.SCRIPT[:20], "sql": c.SQL,
                                          "nul": "DEM\x00", "long": c.LONG,
                                          "crlf": "DEM-2026\r\n90001"},
              Refused("Aucune commande ne porte cette référence."),
              overrides={"nul": Refused(f.FORBIDDEN), "long": Refused(f.too_long(20)),
                         "crlf": Refused(f.ONE_LINE)}),
    *f.values(FILE_MESSAGE, "stray_message", {"missing": c.MISSING_ID}, NOT_FOUND),
    *f.values(PICKUP, "code", {"script": c.SCRIPT[:20], "sql": c.SQL, "nul": "AB\x00CD",
                               "long": c.LONG, "crlf": "AB\r\nCD", "rtl": c.RTL_OVERRIDE},
              Refused("Aucune commande ne porte ce code."),
              overrides={"nul": Refused(f.FORBIDDEN), "long": Refused(f.too_long(20)),
                         "crlf": Refused(f.ONE_LINE), "rtl": Refused(f.FORBIDDEN)}),
    *f.emails(STAFF_ACCOUNT, "email"),
    *f.text(STAFF_ACCOUNT, "full_name", 120, overrides={
        "10000-chars": Refused("Entre 2 et 120 caractères.")}),
    *f.choice(STAFF_ACCOUNT, "role", extra={"member": "member", "owner": "owner"}),
    *f.text(SHOP, "name", 120, plain=("script", "img-onerror", "quotes", "font-markup",
                                      "emoji"), blank="required"),
    *f.links(SHOP, "url", echoes=(Page("anon", "/boutiques"),)),
    *f.choice(SHOP, "country"),
    *f.text(SHOP, "description", 500, multiline=True, breaks=("crlf", "lf"),
            echoes=SHOP.echoes[:1]),
    *f.values(SHOP, "logo", {}, None, overrides=LOGOS),
    *f.values(SHOP, "logo", {"gif": payment_files.gif, "php-tail": payment_files.png_with_php_tail},
              Accepted(LOGO_KEPT), echoes=()),
    *f.values(SHOP_EDIT, "shop", {"missing": c.MISSING_ID, "huge": c.IDS["huge"]}, NOT_FOUND),
    *f.text(POINT, "name", 120, blank="required"),
    *f.text(POINT, "address", 500, multiline=True, breaks=("crlf", "lf"), blank="required",
            echoes=POINT.echoes[:1]),
    *f.text(POINT, "opening_hours", 500, multiline=True, breaks=("crlf",),
            echoes=POINT.echoes[:1]),
    *f.text(TERMS, "text", 50_000, multiline=True, plain=c.PLAIN, breaks=("crlf", "lf"), limit=False,
            long=tuple(c.TOO_LONG), blank="required"),
    *f.values(TERMS, "text", {"60000-chars": "B" * 60_000}, Refused(f.too_long(50_000))),
    *f.text(SETTINGS, "company_name", 160, plain=("script", "font-markup", "para-markup",
                                                  "entity", "quotes", "emoji"), blank="required"),
    *f.text(SETTINGS, "company_address", 500, multiline=True, breaks=("crlf", "lf")),
    *f.text(SETTINGS, "legal_mentions", 5000, multiline=True, breaks=("crlf", "lf")),
    *f.text(SETTINGS, "rccm", 60, plain=("script", "font-markup")),
    *f.text(SETTINGS, "siret", 40, plain=("script",)),
    *f.phones(SETTINGS, "company_phone"),
    *f.emails(SETTINGS, "company_email"),
    *f.emails(SETTINGS, "staff_notification_email", overrides={"rtl": None, "quotes": None}),
    *f.choice(SETTINGS, "currency", "Choisissez une devise de la liste."),
    *f.choice(SETTINGS, "locale", "Choisissez un format de la liste.",
              extra={"not-french": "de_DE"}),
    *f.choice(SETTINGS, "timezone", "Choisissez un fuseau horaire de la liste.",
              extra={"traversal": "../../etc/passwd", "real-but-unlisted": "Asia/Tokyo"}),
    *f.values(SETTINGS, "service_fee_percent", PERCENTS, Refused(SETTINGS_PERCENT)),
    *f.values(SETTINGS, "deposit_percent", {k: PERCENTS[k] for k in ("above", "nan", "script")},
              Refused(SETTINGS_PERCENT)),
    *f.values(SETTINGS, "service_fee_minimum", c.AMOUNTS, Refused(SETTINGS_AMOUNT),
              overrides={"zero": Accepted(0), "nul": Refused(f.FORBIDDEN)}),
    *f.values(SETTINGS, "transport_rate_per_kg", {k: c.AMOUNTS[k] for k in (
        "negative", "huge", "nan", "infinity")}, Refused(SETTINGS_AMOUNT)),
    *f.values(SETTINGS, "proforma_validity_days", DAYS,
              Refused("Indiquez une durée de 1 à 365 jours.")),
    *f.values(SETTINGS, "pickup_reminder_days", {k: DAYS[k] for k in ("above", "negative",
                                                                      "overflow")},
              Refused("Indiquez un nombre de jours entre 0 et 90")),
    *f.values(SETTINGS, "pickup_message", {"template": c.TEMPLATE, "unknown": "{inconnu}",
                                           "attribute": "{nom.__class__}",
                                           "format-index": "{0}", "open-brace": "Bonjour {nom",
                                           "script": f"{c.SCRIPT} {{nom}}",
                                           "crlf": "Bonjour {nom}\r\nBcc: x@evil.example",
                                           "nul": c.NUL},
              Refused(PLACEHOLDER), overrides={
                  "open-brace": Refused(BRACE), "template": Refused(),
                  "script": Accepted(), "crlf": Accepted(), "nul": Refused(f.FORBIDDEN)},
              echoes=(Page("admin", "/equipe/parametres"),)),
    *f.values(SETTINGS, "delivery_message", {"unknown": "{code_secret}", "script": c.SCRIPT},
              Refused(PLACEHOLDER), overrides={"script": Accepted()},
              echoes=(Page("admin", "/equipe/parametres"),)),
    *f.phones(SETTINGS, "company_whatsapp"),
    *f.values(SETTINGS, "whatsapp_status_changed", {"script": c.SCRIPT, "short": "HX123",
                                                    "crlf": "HX" + "a" * 16 + "\r\n" + "a" * 16},
              Refused("Indiquez l'identifiant du modèle approuvé"),
              overrides={"crlf": Refused(f.ONE_LINE)}),
    *f.values(SETTINGS, "logo", {}, None, overrides=LOGOS),
    *f.text(METHOD, "name", 120, plain=("script", "img-onerror", "font-markup", "para-markup",
                                        "entity"), blank="required"),
    *f.text(METHOD, "instructions", 2000, multiline=True, plain=c.PLAIN,
            breaks=("crlf", "lf"), blank="required"),
    *f.values(SHOP_MOVE, "direction", {"script": c.SCRIPT, "unknown": "gauche"}, NOT_FOUND),
    *f.values(SHOP_MOVE, "shop", {"missing": c.MISSING_ID}, NOT_FOUND, ids={"direction": "haut"}),
    *f.values(METHOD_MOVE, "direction", {"script": c.SCRIPT, "unknown": "gauche"}, NOT_FOUND),
    *f.values(RETRY, "whatsapp_row", {"missing": c.MISSING_ID, "huge": c.IDS["huge"]},
              NOT_FOUND),
    *f.values(METHOD_EDIT, "bank", {"missing": c.MISSING_ID, "huge": c.IDS["huge"]}, NOT_FOUND),
]
