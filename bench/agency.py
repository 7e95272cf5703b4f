"""Fill the database with a large agency, fast: members with their address, orders in every
status (a believable funnel), their items, status history, proformas, payment proofs
(pending ones in review, accepted ones later), receipts, final invoices, messages,
notifications and sent e-mails. Rows go in with bulk Core inserts, a batch of orders at a time;
every member shares one password hash (computed once), and every document points at a few real
files stored once through `portal.storage.save`. The `counters` rows are set past the numbers
used, so the portal's next real numbers do not collide.

    python bench/agency.py --members 10000 --orders 100000 --items 5 --database-url URL

    from bench.agency import fill      # inside an app context: fill(members=2, orders=300)

Accounts: members `membre00001@bench.example`…, staff `equipe1@bench.example`…, admin
`admin@bench.example`, all with the password BENCH_PASSWORD. Each order is made from its own
random generator (seed and position), so order n is the same whatever the total.
"""
import argparse
import hashlib
import io
import random
import secrets
import sys
import time
from collections import Counter as Tally
from datetime import datetime, timedelta
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask_babel import force_locale  # noqa: E402
from sqlalchemy import func, select, text  # noqa: E402

from portal import storage  # noqa: E402
from portal.clock import utcnow  # noqa: E402
from portal.extensions import db  # noqa: E402
from portal.members.password_hashes import hash_password  # noqa: E402
from portal.numbering import Counter  # noqa: E402
from portal.proforma.totals import percent_of  # noqa: E402
from portal.staff.models import (  # noqa: E402
    SETTINGS_DEFAULTS,
    AgencySettings,
    PaymentMethod,
    PickupPoint,
    TermsVersion,
)

BENCH_PASSWORD = "Bench-Baobab-2026-mot-de-passe"  # noqa: S105 (benchmark accounts only)
STAFF_COUNT = 4
# The funnel: share of orders in each status (per cent); draft orders are carts, one per member.
FUNNEL = {"submitted": 5, "quoted": 6, "deposit_review": 3, "confirmed": 4, "purchased": 4,
          "in_transit": 7, "arrived": 4, "balance_review": 3, "ready": 4, "completed": 47,
          "cancelled": 10, "draft": 3}
PATH = ["submitted", "quoted", "deposit_review", "confirmed", "purchased", "in_transit",
        "arrived", "balance_review", "ready", "completed"]
MEMBER_MOVES = {"submitted", "deposit_review", "balance_review"}
FINISHED = {"completed", "cancelled"}
BATCH = 2000
CURRENCY = "EUR"
SERVICE_BP, DEPOSIT_BP, SHIPPING, RATE_PER_KG = 1000, 5000, 2000, 650

FIRST_NAMES = ["Awa", "Moussa", "Fatou", "Ibrahima", "Aminata", "Kofi", "Mariam", "Yao",
               "Aïcha", "Seydou", "Nadia", "Jean-Marc", "Chantal", "Oumar", "Rokia", "Didier",
               "Salimata", "Koffi", "Ndeye", "Emmanuel"]
LAST_NAMES = ["Koné", "Traoré", "Diallo", "Ouattara", "Coulibaly", "Diop", "Ndiaye", "Kouassi",
              "Bamba", "Sow", "Mensah", "Touré", "Camara", "Cissé", "Yao", "Faye", "Sylla",
              "Kaboré", "Payet", "Hoarau"]
CITIES = [("Abidjan", "CI"), ("Dakar", "SN"), ("Bamako", "ML"), ("Saint-Denis", "RE"),
          ("Cayenne", "GF"), ("Douala", "CM"), ("Lomé", "TG"), ("Libreville", "GA")]
PRODUCTS = ["Crème hydratante Éclat", "Sac à dos 20 L", "Montre connectée", "Baskets running",
            "Robe en lin", "Casque audio sans fil", "Chargeur rapide USB-C", "Parfum 100 ml",
            "Lampe de bureau LED", "Coque de téléphone", "Jeu de société", "Mixeur plongeant",
            "Perruque naturelle", "Pièces détachées vélo", "Livre de cuisine", "Jean slim",
            "Tablette 10 pouces", "Fer à lisser", "Poussette compacte", "Cartouches d'encre"]
CARRIERS = ["DHL Express", "Colissimo", "Chronopost", "UPS"]


# --- Ids and numbers --------------------------------------------------------------------------

class Ids:
    """The next id of each table, from its current maximum (rows are inserted with their id)."""

    def __init__(self, connection, tables):
        self.next = {name: (connection.scalar(select(func.max(db.metadata.tables[name].c.id)))
                            or 0) + 1 for name in tables}

    def take(self, table: str) -> int:
        value = self.next[table]
        self.next[table] = value + 1
        return value


class Numbers:
    """Human numbers per series and year (DEM-2025-00042), continuing the counters table."""

    def __init__(self):
        self.values = {(row.series, row.year): row.value
                       for row in db.session.scalars(select(Counter))}

    def take(self, series: str, moment: datetime) -> str:
        key = (series, moment.year)
        self.values[key] = self.values.get(key, 0) + 1
        return f"{series}-{moment.year}-{self.values[key]:05d}"

    def save(self) -> None:
        for (series, year), value in self.values.items():
            db.session.merge(Counter(series=series, year=year, value=value))
        db.session.commit()


def pickup_code(order_id: int) -> str:
    """A unique 8-character code from the order id, in the portal's alphabet."""
    from portal.requests.pickup import ALPHABET

    digits, value = [], order_id
    for _ in range(8):
        value, digit = divmod(value, len(ALPHABET))
        digits.append(ALPHABET[digit])
    return "".join(reversed(digits))


# --- Reference data and files -----------------------------------------------------------------

def reference_data() -> dict:
    """The settings row, payment methods, pickup points and terms (made when missing)."""
    if db.session.get(AgencySettings, 1) is None:
        db.session.add(AgencySettings(id=1, **(SETTINGS_DEFAULTS | {
            "company_name": "Agence Bench", "company_email": "contact@bench.example",
            "company_phone": "+2250700000001", "transport_rate_per_kg": RATE_PER_KG})))
    if not db.session.scalar(select(func.count(PaymentMethod.id))):
        db.session.add_all([
            PaymentMethod(name="Virement bancaire", position=1, instructions="IBAN CI93 0001"),
            PaymentMethod(name="Wave", position=2, instructions="Wave : +225 07 00 00 00 01")])
    if not db.session.scalar(select(func.count(PickupPoint.id))):
        db.session.add(PickupPoint(name="Agence Plateau", address="Avenue Chardy, Abidjan",
                                   opening_hours="9 h–18 h"))
    if TermsVersion.current() is None:
        db.session.add(TermsVersion(version=1, text="Conditions générales du banc d'essai."))
    db.session.commit()
    return {"methods": [(m.id, m.name) for m in db.session.scalars(select(PaymentMethod))],
            "point": db.session.scalar(select(PickupPoint.id)),
            "terms": TermsVersion.current().id}


def sample_png() -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (640, 480), "white")
    ImageDraw.Draw(image).text((40, 40), "Virement 95,00 EUR — réf. TX-000001", fill="black")
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def sample_files(content: dict) -> dict:
    """A few real files, stored once: two proof files, a proforma, an invoice, a receipt."""
    from portal.proforma import pdf

    with force_locale("fr"):
        proforma = pdf.render_proforma(content)
        invoice = pdf.render_invoice(invoice_content(content, "FAC-2025-00001", 4200, 1))
        receipt = pdf.render_receipt({
            "kind": "receipt", "number": "REC-2025-00001", "reference": content["reference"],
            "issued_on": content["issued_on"], "currency": CURRENCY,
            "locale": content["locale"], "company": content["company"],
            "customer": content["customer"], "document": "Proforma PF-2025-00001 v1",
            "payment": {"kind": "deposit", "method": "Wave", "paid_on": content["issued_on"],
                        "transaction_ref": "TX-000001", "amount": content["deposit"]},
            "remaining": 0})
    return {"png": storage.save(sample_png(), "proofs", "png"),
            "pdf": storage.save(proforma, "proofs", "pdf"),
            "proforma": storage.save(proforma, "proformas", "pdf"),
            "invoice": storage.save(invoice, "invoices", "pdf"),
            "receipt": storage.save(receipt, "receipts", "pdf")}


# --- Documents' content -----------------------------------------------------------------------

def proforma_content(order: dict, member: dict, items: list[dict], number: str,
                     issued: datetime, valid_until) -> dict:
    lines = [{"item_id": item["id"], "name": item["name"], "url": item["url"],
              "details": item["details"], "quantity": item["quantity"],
              "unit_price": item["seen_price"], "total": item["seen_price"] * item["quantity"]}
             for item in items]
    subtotal = sum(line["total"] for line in lines)
    fees = [{"kind": "service", "label": "Frais de service", "amount": percent_of(subtotal,
                                                                                  SERVICE_BP)},
            {"kind": "shipping", "label": "Transport international estimé", "amount": SHIPPING}]
    fees_total = sum(fee["amount"] for fee in fees)
    deposit = percent_of(subtotal + fees_total, DEPOSIT_BP)
    return {
        "kind": "proforma", "reference": order["reference"], "number": number, "version": 1,
        "issued_on": issued.date().isoformat(), "valid_until": valid_until.isoformat(),
        "currency": CURRENCY, "locale": "fr_FR",
        "company": {"name": "Agence Bench", "address": "Avenue Chardy, Abidjan",
                    "phone": "+225 07 00 00 00 01", "whatsapp": "", "email":
                    "contact@bench.example", "identifiers": [], "legal_mentions": None,
                    "logo_key": None},
        "customer": {"name": member["full_name"], "email": member["email"],
                     "phone": member["phone"], "company_name": None,
                     "company_registration": None, "address": order["delivery_address"]},
        "delivery": {"mode": order["delivery_mode"], "pickup_point": "Agence Plateau"
                     if order["delivery_mode"] == "pickup" else None},
        "lines": lines, "unavailable": [], "fees": fees, "subtotal": subtotal,
        "fees_total": fees_total, "total": subtotal + fees_total, "deposit": deposit,
        "balance": subtotal + fees_total - deposit, "deposit_percent": DEPOSIT_BP,
        "payment_methods": [{"name": "Virement bancaire", "instructions": "IBAN CI93 0001"},
                            {"name": "Wave", "instructions": "Wave : +225 07 00 00 00 01"}],
        "message": None,
    }


def invoice_content(base: dict, number: str, grams: int, paid: int) -> dict:
    fees = [base["fees"][0], {"kind": "transport", "label": "Transport",
                              "amount": -(-grams * RATE_PER_KG // 1000)}]
    fees_total = sum(fee["amount"] for fee in fees)
    total = base["subtotal"] + fees_total
    return {
        "kind": "invoice", "reference": base["reference"], "number": number,
        "issued_on": base["issued_on"], "currency": CURRENCY, "locale": base["locale"],
        "company": base["company"], "customer": base["customer"], "delivery": base["delivery"],
        "proforma": f"{base['number']} v1", "corrects": None, "lines": base["lines"],
        "fees": fees, "weight_grams": grams, "subtotal": base["subtotal"],
        "fees_total": fees_total, "total": total,
        "payments": [{"label": "Acompte", "method": "Wave", "paid_on": base["issued_on"],
                      "amount": paid, "receipt": None}],
        "paid_total": paid, "balance_due": total - paid, "refunds": [], "message": None,
        "payment_methods": base["payment_methods"],
    }


# --- One order --------------------------------------------------------------------------------

def status_of(index: int, rng: random.Random) -> str:
    """The first orders take every status once (so a small agency has each); then the funnel."""
    statuses = list(FUNNEL)
    if index < len(statuses):
        return statuses[index]
    return rng.choices(statuses, weights=list(FUNNEL.values()))[0]


def path_to(status: str, rng: random.Random) -> list[str]:
    """The statuses an order went through to reach `status` (after its cart)."""
    if status == "draft":
        return []
    if status == "cancelled":
        return PATH[:rng.choice([1, 1, 2])] + ["cancelled"]
    path = PATH[:PATH.index(status) + 1]
    if status == "quoted" and rng.random() < 0.1:  # a deposit proof refused, to be sent again
        path += ["deposit_review", "quoted"]
    return path


def timeline(rng: random.Random, now: datetime, steps: int, finished: bool) -> list[datetime]:
    """The cart's creation then one moment per move, oldest first, all in the past."""
    gaps = [timedelta(hours=rng.uniform(1, 72)) for _ in range(steps + 1)]
    idle = timedelta(days=rng.uniform(1, 700) if finished else rng.uniform(0, 6))
    moment = now - idle - sum(gaps, timedelta())
    moments = []
    for gap in gaps:
        moment += gap
        moments.append(moment.replace(microsecond=0))
    return moments


class Agency:
    """What the generator knows of the agency while it adds orders."""

    def __init__(self, ids: Ids, numbers: Numbers, members: list[dict], staff: list[int],
                 refs: dict, files: dict, seed: int, items: int):
        self.ids, self.numbers, self.members, self.staff = ids, numbers, members, staff
        self.refs, self.files, self.seed, self.items = refs, files, seed, items
        self.now = utcnow().replace(microsecond=0)
        self.carts: set[int] = set()
        self.rows: dict[str, list[dict]] = {}

    def add(self, table: str, **values) -> dict:
        values.setdefault("id", self.ids.take(table))
        self.rows.setdefault(table, []).append(values)
        return values

    def order(self, index: int) -> None:
        rng = random.Random(self.seed * 1_000_003 + index)
        status = status_of(index, rng)
        member = self.members[rng.randrange(len(self.members))]
        if status == "draft" and member["id"] in self.carts:
            status = "submitted"
        path = path_to(status, rng)
        moments = timeline(rng, self.now, len(path), status in FINISHED)
        order = self.add("orders", **order_row(member, status, moments, self.refs, rng))
        items = [self.add("order_items", **item_row(order["id"], moments[0], rng))
                 for _ in range(rng.randint(1, 2 * self.items - 1))]
        if status == "draft":
            self.carts.add(member["id"])
            order["cart_owner_id"] = member["id"]
            return
        order["reference"] = self.numbers.take("DEM", moments[1])
        self.walk(order, member, items, list(zip(path, moments[1:], strict=True)), rng)
        self.talk(order, member, rng)

    def walk(self, order: dict, member: dict, items: list[dict], steps: list, rng) -> None:
        """History and documents of each move along the order's path."""
        previous, proforma, invoice, proof = "draft", None, None, None
        for status, moment in steps:
            actor = member["id"] if status in MEMBER_MOVES or (
                status == "cancelled" and rng.random() < 0.5) else rng.choice(self.staff)
            self.add("status_changes", order_id=order["id"], from_status=previous,
                     to_status=status, actor_id=actor, note=None, at=moment)
            if status == "quoted" and proforma is None:
                proforma = self.proforma(order, member, items, moment, actor)
            elif status in ("deposit_review", "balance_review"):
                proof = self.proof(order, member, proforma, invoice, status, moment)
            elif status in ("confirmed", "ready") or (status == "quoted" and proof):
                self.decide(proof, actor, moment, accepted=status != "quoted")
            elif status == "arrived":
                invoice = self.invoice(order, proforma, moment, actor, rng)
            self.on_move(order, status, moment, actor, rng)
            previous = status
        order["status_changed_at"] = steps[-1][1]
        if previous == "ready" and self.now - steps[-1][1] > timedelta(days=3):
            # reminded already, as the outbox workers do once the wait passes three days
            order["pickup_reminded_at"] = self.now - timedelta(hours=rng.uniform(1, 48))
        self.tell(order, member, previous, steps[-1][1])

    def on_move(self, order: dict, status: str, moment: datetime, actor: int, rng) -> None:
        if status == "submitted":
            order["submitted_at"] = moment
        elif status == "purchased":
            order["merchant_order_number"] = f"AMZ-{rng.randint(100, 999)}-{order['id']:07d}"
        elif status == "in_transit":
            order["carrier"] = rng.choice(CARRIERS)
            order["tracking_number"] = f"JD{order['id']:012d}"
            order["tracking_url"] = f"https://www.dhl.com/track?id=JD{order['id']:012d}"
        elif status == "ready":
            order["pickup_code"] = pickup_code(order["id"])
        elif status == "completed":
            order.update(handed_over_at=moment, handed_over_by_id=actor,
                         handed_over_to=order["delivery_address"].split("\n")[0])
        elif status == "cancelled":
            order["cancel_reason"] = rng.choice(["customer_request", "out_of_stock",
                                                 "price_error", "payment_not_received"])

    def proforma(self, order, member, items, moment, actor) -> dict:
        number = self.numbers.take("PF", moment)
        content = proforma_content(order, member, items, number, moment,
                                   moment.date() + timedelta(days=7))
        return self.add("proformas", order_id=order["id"], number=number, version=1,
                        status="issued", currency=CURRENCY, subtotal=content["subtotal"],
                        fees_total=content["fees_total"], total=content["total"],
                        deposit_due=content["deposit"], balance_due=content["balance"],
                        valid_until=moment.date() + timedelta(days=7), content=content,
                        pdf_key=self.files["proforma"], issued_at=moment, issued_by_id=actor)

    def proof(self, order, member, proforma, invoice, status, moment) -> dict:
        deposit = status == "deposit_review"
        amount = proforma["deposit_due"] if deposit else invoice["balance_due"]
        method_id, method_name = self.refs["methods"][order["id"] % len(self.refs["methods"])]
        kind = "png" if order["id"] % 3 else "pdf"
        proof_id = self.ids.take("payment_proofs")
        return self.add(
            "payment_proofs", id=proof_id, order_id=order["id"],
            kind="deposit" if deposit else "balance", status="pending",
            file_key=self.files[kind], content_type="image/png" if kind == "png"
            else "application/pdf", sha256=hashlib.sha256(b"proof-%d" % proof_id).hexdigest(),
            currency=CURRENCY, declared_amount=amount, method_id=method_id,
            method_name=method_name, paid_on=moment.date(), transaction_ref=f"TX{proof_id:09d}",
            comment=None, submitted_by_id=member["id"], submitted_at=moment,
            decided_by_id=None, decided_at=None, received_amount=None, refusal_reason=None,
            refusal_comment=None, receipt_number=None, receipt_key=None, version=1)

    def decide(self, proof: dict, actor: int, moment: datetime, accepted: bool) -> None:
        proof.update(decided_by_id=actor, decided_at=moment, version=2)
        if accepted:
            proof.update(status="accepted", received_amount=proof["declared_amount"],
                         receipt_number=self.numbers.take("REC", moment),
                         receipt_key=self.files["receipt"])
        else:
            proof.update(status="refused", refusal_reason="unreadable",
                         refusal_comment="La capture est floue.")

    def invoice(self, order, proforma, moment, actor, rng) -> dict:
        number = self.numbers.take("FAC", moment)
        order["weight_grams"] = rng.randint(2000, 12000)  # at least the estimate's shipping
        content = invoice_content(proforma["content"], number, order["weight_grams"],
                                  proforma["deposit_due"])
        return self.add("invoices", order_id=order["id"], kind="invoice", number=number,
                        status="issued", currency=CURRENCY, subtotal=content["subtotal"],
                        fees_total=content["fees_total"], total=content["total"],
                        paid_total=content["paid_total"], balance_due=content["balance_due"],
                        content=content, pdf_key=self.files["invoice"], corrects_id=None,
                        issued_at=moment, issued_by_id=actor)

    def tell(self, order: dict, member: dict, status: str, moment: datetime) -> None:
        """The in-app notice and the e-mail of the order's last move."""
        text_ = f"Votre commande {order['reference']} a changé de statut."
        link = f"/commandes/{order['id']}"
        self.add("notifications", user_id=member["id"], text=text_, link=link, created_at=moment,
                 read_at=moment + timedelta(hours=3) if status in FINISHED else None)
        self.add("outbox_messages", **outbox_row(member, order, text_, moment))

    def talk(self, order: dict, member: dict, rng) -> None:
        """A quarter of the orders have a short exchange with the agency; some a staff note."""
        if rng.random() < 0.25:
            start = order["submitted_at"] + timedelta(hours=1)
            self.add("order_messages", **message_row(
                order["id"], member["id"], "Bonjour, quand arrive ma commande ?", True, start,
                start + timedelta(hours=2)))
            reply = start + timedelta(hours=2)
            self.add("order_messages", **message_row(
                order["id"], rng.choice(self.staff), "Bonjour, elle est en route.", False, reply,
                reply + timedelta(hours=5) if rng.random() < 0.7 else None))
        if rng.random() < 0.1:
            self.add("order_messages", **message_row(
                order["id"], rng.choice(self.staff), "Client à rappeler.", False,
                order["submitted_at"], None, kind="note"))


# --- Rows -------------------------------------------------------------------------------------

def order_row(member: dict, status: str, moments: list[datetime], refs: dict, rng) -> dict:
    mode = "pickup" if rng.random() < 0.7 else "home"
    submitted = status != "draft"
    return {
        "user_id": member["id"], "reference": None, "cart_owner_id": None, "status": status,
        "version": 1, "delivery_mode": mode if submitted else None,
        "pickup_point_id": refs["point"] if submitted and mode == "pickup" else None,
        "address_id": member["address_id"] if submitted else None,
        "delivery_address": member["address"] if submitted else None, "address_changes": 0,
        "terms_version_id": refs["terms"] if submitted else None,
        "terms_accepted_at": moments[1] if submitted else None, "cancel_reason": None,
        "cancel_note": None, "merchant_order_number": None, "carrier": None,
        "tracking_number": None, "tracking_url": None, "weight_grams": None,
        "pickup_code": None, "pickup_reminded_at": None, "handed_over_at": None,
        "handed_over_to": None, "handed_over_by_id": None, "created_at": moments[0],
        "submitted_at": None, "status_changed_at": moments[0]}


def item_row(order_id: int, moment: datetime, rng) -> dict:
    product = rng.choice(PRODUCTS)
    return {"order_id": order_id, "name": product,
            "url": f"https://shop{rng.randint(1, 40)}.example.com/p/{rng.randint(1, 10**6)}",
            "quantity": rng.choice([1, 1, 1, 2, 3]),
            "details": rng.choice([None, None, "Taille M", "Couleur noire"]),
            "seen_price": rng.randint(5, 300) * 100 - 1, "seen_currency": CURRENCY,
            "created_at": moment}


def message_row(order_id, author_id, body, from_member, at, read_at, kind="message") -> dict:
    return {"order_id": order_id, "author_id": author_id, "kind": kind, "body": body,
            "channel": "portal", "from_member": from_member, "read_at": read_at,
            "outbox_id": None, "provider_sid": None, "sender": None, "media": None,
            "created_at": at}


def outbox_row(member: dict, order: dict, body: str, moment: datetime) -> dict:
    return {"channel": "email", "kind": "status_changed", "user_id": member["id"],
            "recipient": member["email"], "subject": f"Commande {order['reference']}",
            "body_text": body, "body_html": None, "attachments": None, "content_sid": None,
            "content_variables": None, "fallback": None, "fallback_id": None,
            "fallback_reason": None, "provider_sid": None, "delivery_status": None,
            "delivery_error": None, "status": "sent", "attempts": 1, "next_attempt_at": moment,
            "claimed_until": None, "claimed_by": None, "last_error": None,
            "created_at": moment, "sent_at": moment + timedelta(seconds=5)}


def user_row(user_id: int, email: str, name: str, role: str, password_hash: str,
             number: int, now: datetime) -> dict:
    return {"id": user_id, "email": email, "password_hash": password_hash, "full_name": name,
            "phone": f"+22507{number:08d}", "preferred_channel": "email" if number % 3
            else "whatsapp", "locale": "fr" if number % 5 else "en", "notify_email": True,
            "notify_whatsapp": True, "company_name": None, "company_registration": None,
            "role": role, "is_active_account": True, "session_token": secrets.token_urlsafe(16),
            "confirmed_at": None if role == "member" and number % 33 == 0 else now,
            "created_at": now - timedelta(days=730), "last_login_at": None}


def address_row(address_id: int, user: dict, number: int) -> dict:
    city, country = CITIES[number % len(CITIES)]
    return {"id": address_id, "user_id": user["id"], "label": "Maison",
            "recipient": user["full_name"], "line1": f"{number % 200 + 1} rue des Jardins",
            "line2": None, "postal_code": None, "city": city, "country": country,
            "phone": user["phone"], "instructions": None, "is_default": True,
            "created_at": user["created_at"]}


# --- Inserting --------------------------------------------------------------------------------

TABLES = ["users", "addresses", "orders", "order_items", "status_changes", "proformas",
          "invoices", "payment_proofs", "outbox_messages", "order_messages", "notifications"]


def insert(connection, rows: dict[str, list[dict]], tally: Tally) -> None:
    for name in TABLES:
        batch = rows.get(name)
        if batch:
            connection.execute(db.metadata.tables[name].insert(), batch)
            tally[name] += len(batch)


def add_people(connection, ids: Ids, members: int, staff: int, tally: Tally):
    """Staff, an admin and the members (each with a default address), in batches."""
    now = utcnow().replace(microsecond=0)
    password_hash = hash_password(BENCH_PASSWORD)
    people = [user_row(ids.take("users"), f"equipe{n}@bench.example", f"Équipe {n}", "staff",
                       password_hash, n, now) for n in range(1, staff + 1)]
    people.append(user_row(ids.take("users"), "admin@bench.example", "Admin Bench", "admin",
                           password_hash, 0, now))
    insert(connection, {"users": people}, tally)
    start = connection.scalar(select(func.count()).select_from(db.metadata.tables["users"])
                              .where(text("email LIKE 'membre%@bench.example'"))) or 0
    found = []
    for first in range(start + 1, start + members + 1, BATCH):
        users, addresses = [], []
        for number in range(first, min(first + BATCH, start + members + 1)):
            name = (f"{FIRST_NAMES[number % len(FIRST_NAMES)]} "
                    f"{LAST_NAMES[number * 7 % len(LAST_NAMES)]}")
            user = user_row(ids.take("users"), f"membre{number:05d}@bench.example", name,
                            "member", password_hash, number, now)
            address = address_row(ids.take("addresses"), user, number)
            users.append(user)
            addresses.append(address)
            found.append({"id": user["id"], "email": user["email"], "full_name": name,
                          "phone": user["phone"], "address_id": address["id"],
                          "address": "\n".join([name, address["line1"], address["city"]])})
        insert(connection, {"users": users, "addresses": addresses}, tally)
    return found, [person["id"] for person in people]


def fix_sequences(connection) -> None:
    """PostgreSQL: serial sequences continue after the ids inserted here."""
    if connection.dialect.name != "postgresql":
        return
    for name in TABLES:
        connection.execute(text(
            f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "  # noqa: S608 (our names)
            f"COALESCE((SELECT MAX(id) FROM {name}), 0) + 1, false)"))


def vacuum() -> None:
    """Statistics and visibility maps as autovacuum leaves them on a running database."""
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE" if connection.dialect.name == "postgresql"
                                else "ANALYZE"))


def fill(members: int = 10_000, orders: int = 100_000, items: int = 5, staff: int = STAFF_COUNT,
         seed: int = 1, quiet: bool = False) -> dict:
    """Add a large agency to the database of the current app; return the rows added per
    table and the time taken. `items` is the average number of items per order (1 to 2n-1)."""
    started = time.perf_counter()
    refs = reference_data()
    numbers = Numbers()
    tally: Tally = Tally()
    with db.engine.begin() as connection:
        ids = Ids(connection, TABLES)
        member_rows, staff_ids = add_people(connection, ids, members, staff, tally)
    files = sample_files(proforma_content(
        {"reference": "DEM-2025-00001", "delivery_address": member_rows[0]["address"],
         "delivery_mode": "pickup"}, member_rows[0], [item_row(1, utcnow(), random.Random(1))
                                                      | {"id": 1}], "PF-2025-00001",
        utcnow(), utcnow().date()))
    agency = Agency(ids, numbers, member_rows, staff_ids[:-1] or staff_ids, refs, files, seed,
                    max(items, 1))
    for first in range(0, orders, BATCH):
        for index in range(first, min(first + BATCH, orders)):
            agency.order(index)
        with db.engine.begin() as connection:
            insert(connection, agency.rows, tally)
        agency.rows = {}
        if not quiet:
            report_progress(min(first + BATCH, orders), orders, tally, started)
    with db.engine.begin() as connection:
        fix_sequences(connection)
    vacuum()
    numbers.save()
    seconds = time.perf_counter() - started
    total = sum(tally.values())
    if not quiet:
        print(f"Filled {total} rows in {seconds:.1f} s: {total / seconds:,.0f} rows/s "
              f"({orders / seconds:,.0f} orders/s)")
    return {"rows": dict(tally), "seconds": seconds, "rows_per_second": total / seconds}


def report_progress(done: int, orders: int, tally: Tally, started: float) -> None:
    if done == orders or done % (BATCH * 10) == 0:
        seconds = time.perf_counter() - started
        print(f"  {done}/{orders} orders, {sum(tally.values())} rows, {seconds:.0f} s",
              flush=True)


def main(argv: list[str] | None = None) -> None:
    from bench.common import database_url, make_app, print_machine, reset_schema

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--items", type=int, default=5, help="average items per order")
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--keep", action="store_true", help="add to the data already there")
    args = parser.parse_args(argv)
    url = database_url(args.database_url)
    print_machine(url)
    app = make_app(url)
    with app.app_context():
        if not args.keep:
            reset_schema()
        fill(members=args.members, orders=args.orders, items=args.items)
        db.session.remove()


if __name__ == "__main__":
    main()
