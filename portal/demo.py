"""The demo agency behind `flask demo` (development only; the command refuses production).

An agency in Abidjan (XOF) with its settings, payment methods, partner shops, pickup points and
terms; an admin, a staff member and four members; and fifteen orders, at least one in every
status, with their proformas, proofs, receipts, invoices, refund, threads and notes. Orders are
walked ONLY through the portal's own services (the same calls the pages make), so every
document, PDF, history row, notification and e-mail exists as in real use. It is one
transaction: if anything fails, nothing is kept and the command can simply run again.

The story happens over the last four weeks: each step runs with the portal's clock set to the
moment it happened (`moment()`), so timelines, waits, the expired proforma and the WhatsApp
window look real. Steps of all orders run in the order of time, so references and document
numbers follow the calendar.
"""
import io
import random
import string
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import NamedTuple
from zoneinfo import ZoneInfo

from flask import current_app
from PIL import Image, ImageDraw, ImageFilter, ImageFont
from sqlalchemy import select

from portal import clock
from portal.extensions import db
from portal.members.models import Address, User
from portal.messaging import threads
from portal.payments import proofs, refunds
from portal.payments.files import inspect_proof
from portal.proforma import invoicing
from portal.proforma.forms import QuoteInput
from portal.proforma.quoting import issue_proforma
from portal.proforma.totals import Deposit, Fee, Line, Quote, service_fee
from portal.requests import logistics, ordering, pickup
from portal.requests.models import Order
from portal.staff import agency
from portal.staff.models import (
    SETTINGS_DEFAULTS,
    AgencySettings,
    PaymentMethod,
    TermsVersion,
    active_payment_methods,
    active_pickup_points,
    agency_today,
)

# --- Accounts (printed by `flask demo` and listed in the README) -------------------------------

DEMO_ACCOUNTS = [
    ("admin@demo.example.com", "Awa Diallo", "admin", "demo-admin-portail"),
    ("equipe@demo.example.com", "Koffi Mensah", "staff", "demo-equipe-portail"),
    ("membre@demo.example.com", "Fatou Ndiaye", "member", "demo-membre-portail"),
    ("kouadio.yao@demo.example.com", "Kouadio Yao", "member", "demo-kouadio-portail"),
    ("aminata.coulibaly@demo.example.com", "Aminata Coulibaly", "member", "demo-aminata-portail"),
    ("ibrahima.diop@demo.example.com", "Ibrahima Diop", "member", "demo-ibrahima-portail"),
]
ADMIN, STAFF = "admin@demo.example.com", "equipe@demo.example.com"
FATOU, KOUADIO = "membre@demo.example.com", "kouadio.yao@demo.example.com"
AMINATA, IBRAHIMA = "aminata.coulibaly@demo.example.com", "ibrahima.diop@demo.example.com"

# What each account has besides its name and password: phone (E.164), preferred channel,
# company, address book, and how many days ago it was opened.
PROFILES = {
    ADMIN: {"phone": "+2250707080910", "joined": 30},
    STAFF: {"phone": "+2250505060708", "joined": 30},
    FATOU: {"phone": "+2250701020304", "preferred_channel": "whatsapp", "joined": 29,
            "address": {"label": "Maison", "line1": "Rue des Jardins 12",
                        "line2": "Cocody Deux-Plateaux", "city": "Abidjan", "country": "CI"}},
    KOUADIO: {"phone": "+2250758421963", "joined": 28,
              "address": {"label": "Maison", "line1": "Lot 245, Cité SIR",
                          "line2": "Yopougon Niangon", "city": "Abidjan", "country": "CI"}},
    AMINATA: {"phone": "+2250102030405", "joined": 27, "company_name": "Ami Mode SARL",
              "company_registration": "CI-ABJ-2022-B-08841",
              "address": {"label": "Boutique", "line1": "Marché de Treichville, 1er étage",
                          "line2": "Box 112", "city": "Abidjan", "country": "CI",
                          "phone": "+2250102030405"}},
    IBRAHIMA: {"phone": "+221771234567", "joined": 26,
               "address": {"label": "Appartement",
                           "line1": "Rue 12, résidence Les Flamboyants, apt 4B",
                           "line2": "Marcory Zone 4", "city": "Abidjan", "country": "CI",
                           "phone": "+2250707112233",
                           "instructions": "Appeler en arrivant au portail."}},
}

# --- The agency ------------------------------------------------------------------------------

DEMO_SHOPS = [
    ("Amazon", "https://www.amazon.fr", "FR", "Tout ou presque, livré à notre entrepôt en France."),
    ("Zara", "https://www.zara.com/fr/", "ES", "Mode femme, homme et enfant."),
    ("Decathlon", "https://www.decathlon.fr", "FR", "Sport et plein air."),
    ("AliExpress", "https://fr.aliexpress.com", "CN", "Petits prix ; délais plus longs."),
]
DEMO_POINTS = [
    ("Agence Plateau", "Avenue Chardy, immeuble Alpha 2000, Abidjan", "Lun–ven 9 h–18 h, sam 9 h–13 h"),
    ("Relais Cocody", "Rue des Jardins, Cocody Deux-Plateaux, Abidjan", "Lun–sam 10 h–19 h"),
]
PLATEAU, COCODY = 0, 1
DEMO_TERMS = """1. Objet. L'agence achète pour vous, en votre nom, les articles que vous lui indiquez.
2. Proforma. Chaque demande fait l'objet d'une proforma valable pendant la durée indiquée.
3. Acompte. La commande est passée après validation de l'acompte.
4. Solde. Le solde est dû à l'arrivée des articles, avant leur remise.
5. Retrait. Les articles sont gardés 30 jours au point de retrait choisi."""

DEMO_SETTINGS = {
    "company_name": "Achats Sans Frontières SARL", "currency": "XOF", "locale": "fr_CI",
    "timezone": "Africa/Abidjan", "company_address": "Avenue Chardy, immeuble Alpha 2000\n"
    "01 BP 1234 Abidjan 01, Côte d'Ivoire", "company_phone": "+2252720212223",
    "company_whatsapp": "+2250700000001", "company_email": "contact@demo.example.com",
    "rccm": "CI-ABJ-2024-B-12345", "vat_number": "CI 1234567 A",
    "legal_mentions": "SARL au capital de 1 000 000 F CFA. Les prix des articles sont ceux "
                      "des marchands au jour de la proforma.",
    "service_fee_bp": 1000, "service_fee_minimum": 2000, "deposit_bp": 5000,
    "proforma_validity_days": 7, "transport_rate_per_kg": 6500,
    "staff_notification_email": "equipe@demo.example.com",
}
ORANGE, WAVE, BANK, CASH = "Orange Money", "Wave", "Virement bancaire", "Espèces à l'agence"
DEMO_PAYMENT_METHODS = [
    (ORANGE, "Envoyez le montant au 07 00 00 00 01 (Achats Sans Frontières) en indiquant la "
             "référence de votre demande."),
    (WAVE, "Paiement Wave au 07 00 00 00 02, avec la référence de votre demande."),
    (BANK, "Banque Atlantique Côte d'Ivoire\nIBAN CI93 CI00 0101 0000 1234 5678 9012\n"
           "BIC ATCICIAB\nLibellé : la référence de votre demande"),
    (CASH, "Agence Plateau, du lundi au vendredi de 9 h à 18 h."),
]
EUR_IN_XOF = 655.957  # the fixed parity; item prices seen in euros are quoted in F CFA

# --- The orders ------------------------------------------------------------------------------


class Item(NamedTuple):
    name: str
    url: str
    quantity: int
    details: str | None
    euros: str  # the price the member saw on the shop


class Step(NamedTuple):
    days_ago: int
    at: str  # "HH:MM", the agency's local time
    verb: str
    options: dict


def at(days_ago: int, when: str, verb: str, **options) -> Step:
    return Step(days_ago, when, verb, options)


@dataclass(frozen=True)
class Story:
    """One order: whose, what, how it is delivered, and what happened to it when."""

    member: str
    items: tuple[Item, ...]
    steps: tuple[Step, ...]
    delivery: str = "pickup"
    point: int | None = PLATEAU


def _deposit_paid(start: int, kg: float, method: str) -> tuple[Step, ...]:
    """The usual start of an order: requested `start` days ago, quoted the next day (`kg`:
    the estimated weight), the deposit paid that evening by `method`, accepted next morning."""
    return (at(start, "09:40", "submit"), at(start - 1, "10:20", "quote", kg=kg),
            at(start - 2, "19:05", "pay", method=method), at(start - 3, "08:45", "accept"))


STORIES = [
    # completed: collected at the Cocody relay, a goodwill credit on the invoice
    Story(KOUADIO, (
        Item("Tente de camping MH100 – 3 places",
             "https://www.decathlon.fr/p/tente-de-camping-mh100-3-places/_/R-p-301456", 1,
             None, "49.99"),
        Item("Sac de couchage Arpenaz 15 °C coton",
             "https://www.decathlon.fr/p/sac-de-couchage-arpenaz-15-coton/_/R-p-108640", 2,
             "Gris", "24.99"),
        Item("Lampe frontale rechargeable HL500",
             "https://www.decathlon.fr/p/lampe-frontale-rechargeable-hl500/_/R-p-327341", 2,
             None, "29.99")),
        _deposit_paid(24, 5.5, ORANGE) + (
            at(21, "10:30", "purchase", number="FR2405117893"),
            at(20, "16:00", "ship", carrier="Colissimo", tracking="CB204519877FR"),
            at(12, "11:00", "arrive", grams=6200, photo=True,
               adjustments=[("Geste commercial (retard de livraison)", -2000)]),
            at(11, "18:30", "pay", method=WAVE), at(10, "09:15", "accept"),
            at(10, "12:05", "member_says", text="Merci ! Je passerai jeudi après-midi au relais "
                                                "de Cocody."),
            at(10, "12:40", "staff_says", channel="email",
               text="Très bien Monsieur Yao, le relais vous attend jeudi de 10 h à 19 h. "
                    "N'oubliez pas votre pièce d'identité et votre code de retrait."),
            at(9, "15:20", "hand_over", collected_by="Kouadio Yao")),
        point=COCODY),
    # cancelled by the member while the proforma waited for the deposit
    Story(IBRAHIMA, (
        Item("Mixeur plongeant Moulinex Quickchef 1000 W", "https://www.amazon.fr/dp/B07QXV6N1B",
             1, None, "54.90"),),
        (at(16, "08:50", "submit"), at(15, "10:00", "quote", kg=1.5),
         at(14, "21:10", "cancel", note="Finalement je l'ai trouvé à Abidjan au même prix. "
                                        "Merci quand même !")),
        delivery="home", point=None),
    # cancelled by staff after the deposit (out of stock): the deposit is refunded by Wave
    Story(AMINATA, (
        Item("Blazer oversize en lin", "https://www.zara.com/fr/fr/blazer-oversize-lin-p02753041.html",
             2, "Taille S, écru", "69.95"),
        Item("Pantalon large taille haute",
             "https://www.zara.com/fr/fr/pantalon-large-taille-haute-p07901122.html", 2,
             "Taille 38, noir", "35.95")),
        (at(15, "14:00", "submit"), at(14, "09:30", "quote", kg=2.5),
         at(13, "12:15", "pay", method=WAVE), at(13, "15:40", "accept"),
         at(12, "10:05", "note", text="Zara : blazer écru en rupture dans toutes les tailles, "
                                      "pas de réassort prévu (vu avec le service client)."),
         at(12, "10:20", "staff_says", channel="email",
            text="Bonjour Madame Coulibaly, Zara n'a plus le blazer en lin écru et ne prévoit "
                 "pas de réassort. Souhaitez-vous garder le pantalon seul, ou annuler ?"),
         at(12, "13:02", "member_says", text="Dans ce cas annulez tout et remboursez-moi par "
                                             "Wave s'il vous plaît, je cherchais l'ensemble."),
         at(12, "16:30", "cancel_staff", reason="out_of_stock", method=WAVE,
            note="Blazer en rupture chez Zara ; annulation à la demande de la cliente.")),
    ),
    # ready: the balance is accepted, the pickup code waits at the Plateau agency
    Story(FATOU, (
        Item("Porte-bébé physiologique", "https://www.amazon.fr/dp/B08XQ7N2ZL", 1, "Gris chiné",
             "89.90"),
        Item("Lot de 3 biberons anti-colique 260 ml", "https://www.amazon.fr/dp/B07PGL2WZV", 2,
             None, "24.99")),
        _deposit_paid(14, 3, ORANGE) + (
            at(10, "11:00", "purchase", number="402-8875123-6634715"),
            at(9, "17:30", "ship", carrier="DHL Express", tracking="4817263950"),
            at(4, "10:45", "arrive", grams=3400, photo=True),
            at(3, "19:20", "pay", method=ORANGE), at(2, "09:30", "accept"),
            at(2, "12:10", "member_says", text="Merci ! Je passe samedi matin avec ma pièce "
                                               "d'identité."),
            at(2, "12:25", "staff_says", channel="portal",
               text="Très bien Fatou, le colis vous attend à l'Agence Plateau (samedi 9 h–13 h)."))),
    # balance_review: the balance proof (bank transfer) waits for staff
    Story(AMINATA, (
        Item("Robe midi plissée", "https://www.zara.com/fr/fr/robe-midi-plissee-p02731304.html",
             4, "Tailles S, M, M, L — vert sauge", "39.95"),
        Item("Sandales à talon carré", "https://www.zara.com/fr/fr/sandales-talon-carre-p12612510.html",
             3, "Pointures 38, 39, 40 — noir", "45.95")),
        _deposit_paid(13, 4, BANK) + (
            at(9, "10:00", "purchase", number="60123456789"),
            at(8, "14:30", "ship", carrier="DHL Express", tracking="5930172846"),
            at(3, "11:20", "arrive", grams=4300, photo=True),
            at(1, "16:45", "pay", method=BANK, comment="Virement fait ce matin depuis le compte "
                                                       "de la boutique."))),
    # arrived: the invoice is issued, the balance is awaited (home delivery)
    Story(IBRAHIMA, (
        Item("Vélo tout chemin Riverside 120",
             "https://www.decathlon.fr/p/velo-tout-chemin-riverside-120/_/R-p-305887", 1,
             "Taille L, gris", "299.00"),
        Item("Casque vélo urbain 500",
             "https://www.decathlon.fr/p/casque-velo-ville-500/_/R-p-312514", 1, "Taille M",
             "24.99")),
        _deposit_paid(11, 19, WAVE) + (
            at(7, "11:00", "purchase", number="FR2405208841"),
            at(6, "15:00", "ship", carrier="DHL Express", tracking="6027183945"),
            at(2, "14:00", "arrive", grams=18500, photo=True),
            at(2, "14:10", "note", text="Carton un peu abîmé à l'arrivée, vélo intact "
                                        "(photos jointes). Livraison à Marcory à caler.")),
        delivery="home", point=None),
    # in_transit: shipped from China, tracking given
    Story(KOUADIO, (
        Item("Kit panneau solaire 100 W avec régulateur",
             "https://fr.aliexpress.com/item/1005004532146873.html", 1, None, "78.40"),
        Item("Ventilateur rechargeable 16 pouces",
             "https://fr.aliexpress.com/item/1005005120037891.html", 2, "Blanc", "42.60")),
        _deposit_paid(10, 7, ORANGE) + (
            at(6, "09:45", "purchase", number="8187654321098765"),
            at(3, "15:10", "ship", carrier="Cainiao", tracking="LP00612345678912")),
        point=COCODY),
    # purchased: bought from the merchant, not shipped yet
    Story(FATOU, (
        Item("Chemise en lin homme", "https://www.zara.com/fr/fr/chemise-lin-p01063300.html", 2,
             "Taille L, une blanche et une bleu ciel", "35.95"),
        Item("Ensemble robe et bandeau fille", "https://www.zara.com/fr/fr/ensemble-robe-fille-p04321212.html",
             1, "6 ans", "25.95")),
        _deposit_paid(9, 2, WAVE) + (
            at(4, "16:20", "purchase", number="60123987654"),)),
    # confirmed: a blurred deposit proof refused, a clear one accepted
    Story(IBRAHIMA, (
        Item("Ordinateur portable Lenovo IdeaPad Slim 3 15\"",
             "https://www.amazon.fr/dp/B0CKYQ1V8X", 1, "16 Go / 512 Go, clavier AZERTY",
             "549.99"),
        Item("Souris sans fil Logitech M185", "https://www.amazon.fr/dp/B004P8J2KY", 1, None,
             "14.99")),
        (at(7, "10:00", "submit"), at(6, "11:30", "quote", kg=3),
         at(5, "22:10", "pay", method=ORANGE, blurred=True),
         at(4, "09:00", "refuse", reason="unreadable",
            comment="La photo est floue : on ne lit ni la date ni le numéro de transaction."),
         at(4, "13:05", "pay", method=ORANGE, comment="Nouvelle capture, plus nette."),
         at(3, "10:10", "accept"),
         at(3, "10:15", "staff_says", channel="email",
            text="Merci Monsieur Diop, l'acompte est bien reçu. Nous passons la commande "
                 "chez Amazon aujourd'hui.")),
        delivery="home", point=None),
    # deposit_review: the deposit proof waits for staff
    Story(KOUADIO, (
        Item("Imprimante multifonction HP DeskJet 4220e", "https://www.amazon.fr/dp/B0BTQ5LJ1K",
             1, None, "79.99"),
        Item("Cartouches d'encre HP 305 noir et couleur", "https://www.amazon.fr/dp/B07Q5L6ZJ4",
             2, None, "27.49")),
        (at(5, "09:20", "submit"), at(4, "15:00", "quote", kg=6),
         at(1, "20:30", "pay", method=WAVE)),
        point=COCODY),
    # quoted: the member asked for another colour, the proforma was revised (v2)
    Story(FATOU, (
        Item("Sac à dos de randonnée Arpenaz NH100 20 L",
             "https://www.decathlon.fr/p/sac-a-dos-de-randonnee-nh-arpenaz-100-20-l/_/R-p-8351",
             1, "Bleu", "9.99"),
        Item("Gourde isotherme 0,5 L", "https://www.decathlon.fr/p/gourde-isotherme-0-5-l/_/R-p-305219",
             2, None, "12.99"),
        Item("Chaussures de randonnée NH100 femme",
             "https://www.decathlon.fr/p/chaussures-de-randonnee-nh100-femme/_/R-p-169197", 1,
             "Pointure 39", "34.99")),
        (at(4, "08:30", "submit"), at(3, "16:00", "quote", kg=2.5),
         at(3, "18:30", "member_says", text="Bonjour, le sac existe-t-il aussi en vert ?"),
         at(2, "08:55", "staff_says", channel="portal",
            text="Bonjour Fatou, oui : nous pouvons le prendre en vert au même prix. Voulez-vous "
                 "que nous modifiions la proforma ?"),
         at(2, "09:30", "change_request", text="Oui, en vert s'il vous plaît. Merci !"),
         at(2, "11:15", "quote", kg=2.5, details={0: "Vert"},
            message="Version 2 : le sac en vert, comme demandé."))),
    # quoted, but the proforma has expired (the member never paid)
    Story(AMINATA, (
        Item("Mannequin de couture buste femme",
             "https://fr.aliexpress.com/item/1005003894512376.html", 1, "Taille 38", "56.30"),
        Item("Portant à vêtements double barre",
             "https://fr.aliexpress.com/item/1005004108826341.html", 2, "Chromé", "38.90")),
        (at(18, "10:00", "submit"), at(17, "15:30", "quote", kg=9),
         at(6, "09:00", "note", text="Proforma expirée sans réponse. Relancer Mme Coulibaly : "
                                     "elle voulait les portants pour la rentrée."))),
    # submitted: waiting for its proforma; the member wrote on WhatsApp, staff answered there
    Story(FATOU, (
        Item("Robe portefeuille en lin", "https://www.zara.com/fr/fr/robe-portefeuille-lin-p02298123.html",
             1, "Taille M, terracotta", "49.95"),
        Item("Baskets en toile", "https://www.zara.com/fr/fr/baskets-toile-p12100520.html", 2,
             "Pointure 42, blanc (pour mon mari)", "29.95")),
        (at(1, "10:30", "submit"),
         at(1, "18:05", "whatsapp", text="Bonsoir ! Pour la robe, si le M n'est plus là, le L "
                                         "ira aussi. Merci"),
         at(1, "18:20", "staff_says", channel="whatsapp",
            text="Bien noté Fatou. Nous vérifions les tailles et vous envoyons la proforma "
                 "demain matin."))),
    # submitted: home delivery, nothing priced yet
    Story(IBRAHIMA, (
        Item("Maillot domicile Sénégal 2024", "https://www.amazon.fr/dp/B0D1QZ7K3M", 2,
             "Taille L et taille 10 ans", "89.99"),),
        (at(2, "21:00", "submit"),), delivery="home", point=None),
    # draft: a cart, not sent yet
    Story(KOUADIO, (
        Item("Montre connectée étanche", "https://fr.aliexpress.com/item/1005006012345678.html",
             1, "Noire", "23.50"),
        Item("Coque de protection Samsung Galaxy A54",
             "https://fr.aliexpress.com/item/1005005598765432.html", 2, "Transparente", "3.99")),
        (at(1, "22:15", "cart"),)),
]

# A WhatsApp message from a number nobody has: it waits in the unassigned inbox.
INBOX = [(1, "07:45", "+2250505123456",
          "Bonjour, c'est bien l'agence qui commande sur Shein ? Je voudrais 3 robes pour ma "
          "fille, comment faire ?")]


# --- The clock -------------------------------------------------------------------------------

def moment(when: datetime):
    """Run the services as if it were `when` (naive UTC)."""
    return clock.moved_to(when)


def local_moment(days_ago: int, hh_mm: str) -> datetime:
    """`days_ago` days before today at `hh_mm`, in the agency's time zone, as naive UTC."""
    zone = ZoneInfo(DEMO_SETTINGS["timezone"])
    day = datetime.now(zone).date() - timedelta(days=days_ago)
    hours, minutes = (int(part) for part in hh_mm.split(":"))
    local = datetime.combine(day, time(hours, minutes), tzinfo=zone)
    return min(local.astimezone(UTC).replace(tzinfo=None), clock.utcnow() - timedelta(minutes=5))


# --- Building it -----------------------------------------------------------------------------

def build() -> Counter:
    """Create everything (the database has no account yet); commit; return orders by status."""
    people = {}
    for email, name, role, password in DEMO_ACCOUNTS:
        opened = local_moment(PROFILES[email]["joined"], "20:15" if role == "member" else "08:30")
        with moment(opened):
            people[email] = _account(email, name, role, password)
    with moment(local_moment(30, "09:00")):
        add_agency(people[ADMIN])
        db.session.flush()
    Walker(people).run()
    db.session.commit()  # all or nothing: a failed demo leaves the database empty, to run again
    return Counter(db.session.scalars(select(Order.status)))


def _account(email: str, name: str, role: str, password: str) -> User:
    profile = PROFILES[email]
    user = User(email=email, full_name=name, role=role, phone=profile["phone"],
                preferred_channel=profile.get("preferred_channel", "email"), locale="fr",
                company_name=profile.get("company_name"),
                company_registration=profile.get("company_registration"),
                confirmed_at=clock.utcnow())
    user.set_password(password)
    if "address" in profile:
        user.addresses.append(Address(recipient=name, is_default=True, **profile["address"]))
    db.session.add(user)
    db.session.flush()  # created now, on the demo's clock
    return user


def add_agency(admin: User) -> None:
    """Agency settings, payment methods, partner shops, pickup points and the terms."""
    db.session.add(AgencySettings(id=1, **(SETTINGS_DEFAULTS | DEMO_SETTINGS)))
    for position, (name, instructions) in enumerate(DEMO_PAYMENT_METHODS, start=1):
        db.session.add(PaymentMethod(name=name, instructions=instructions, position=position))
    for position, (name, url, country, text) in enumerate(DEMO_SHOPS, start=1):
        agency.save_shop(None, name=name, url=url, country=country, description=text,
                         is_visible=True).position = position
    for name, address, hours in DEMO_POINTS:
        agency.save_pickup_point(None, name=name, address=address, opening_hours=hours,
                                 is_active=True)
    agency.publish_terms(DEMO_TERMS, admin)


@dataclass
class Walker:
    """Plays every step of every story in the order of time; each step is flushed at its
    moment (so defaults such as `created_at` take the demo's clock)."""

    people: dict[str, User]
    orders: dict[int, Order] = field(default_factory=dict)
    chance: random.Random = field(default_factory=lambda: random.Random(2026))

    @property
    def staff(self) -> User:
        return self.people[STAFF]

    @property
    def admin(self) -> User:
        return self.people[ADMIN]

    def run(self) -> None:
        events = [(local_moment(step.days_ago, step.at), number, index, step)
                  for number, story in enumerate(STORIES)
                  for index, step in enumerate(story.steps)]
        events += [(local_moment(days, hh_mm), -1, index, (phone, text))
                   for index, (days, hh_mm, phone, text) in enumerate(INBOX)]
        for when, number, _index, step in sorted(events, key=lambda event: event[:3]):
            with moment(when):
                if number < 0:
                    self.inbound(*step)
                else:
                    story = STORIES[number]
                    getattr(self, step.verb)(story, self.orders.get(number), number,
                                             **step.options)
                db.session.flush()

    # The member's verbs.

    def cart(self, story: Story, _order, number: int) -> Order:
        member = self.people[story.member]
        for item in story.items:
            ordering.add_item(member, item.name, item.url, item.quantity, item.details,
                              seen_price=item.euros, seen_currency="EUR")
        self.orders[number] = ordering.cart_of(member)
        return self.orders[number]

    def submit(self, story: Story, _order, number: int) -> None:
        self.cart(story, None, number)
        member = self.people[story.member]
        point = active_pickup_points()[story.point] if story.delivery == "pickup" else None
        self.orders[number] = ordering.submit_request(
            member, member.default_address, story.delivery, point, TermsVersion.current())

    def pay(self, _story, order: Order, _number, method: str, blurred: bool = False,
            comment: str | None = None) -> None:
        kind = proofs.kind_awaited(order)
        amount = proofs.amount_due(order, kind)
        reference = self.transaction_ref(method)
        image = receipt_image(method, amount, reference, order, blurred)
        clean = inspect_proof(io.BytesIO(image), current_app.config["MAX_CONTENT_LENGTH"])
        proofs.submit_proof(order, order.user, clean, amount, payment_method(method),
                            agency_today(), reference, comment)

    def cancel(self, _story, order: Order, _number, note: str) -> None:
        ordering.cancel_order(order, order.user, note=note)

    def member_says(self, _story, order: Order, _number, text: str) -> None:
        threads.member_writes(order, order.user, text)

    def change_request(self, _story, order: Order, _number, text: str) -> None:
        threads.ask_for_change(order, order.user, text)

    def whatsapp(self, _story, order: Order, _number, text: str) -> None:
        """The member writes to the agency's WhatsApp number (as Twilio forwards it)."""
        self.inbound(order.user.phone, text)

    def inbound(self, phone: str, text: str) -> None:
        threads.record_inbound({"MessageSid": "SM" + self.hex_digits(32),
                                "From": f"whatsapp:{phone}", "Body": text, "NumMedia": "0"})

    # The agency's verbs.

    def quote(self, _story, order: Order, _number, kg: float, details: dict | None = None,
              message: str | None = None, valid_days: int = 7) -> None:
        settings = AgencySettings.get()
        lines = [Line(item.name, item.url, item.quantity, xof(item.seen_price),
                      details=(details or {}).get(index, item.details), item_id=item.id)
                 for index, item in enumerate(order.items)]
        subtotal = sum(line.total for line in lines)
        fees = [Fee("service", "Frais de service",
                    service_fee(subtotal, settings.service_fee_bp, settings.service_fee_minimum)),
                Fee("shipping", f"Transport international estimé ({_kilos(kg)} kg)",
                    invoicing.transport_fee(int(kg * 1000), settings.transport_rate_per_kg))]
        previous = order.current_proforma
        given = QuoteInput(Quote(lines, fees, Deposit("percent", settings.deposit_bp)),
                           agency_today() + timedelta(days=valid_days),
                           [method.id for method in active_payment_methods()], message, True,
                           base_version=previous.version if previous else 0)
        issue_proforma(order, given, self.staff)

    def accept(self, _story, order: Order, _number) -> None:
        proof = next(proof for proof in order.proofs if proof.is_pending)
        proofs.accept_proof(proof, self.admin, proof.declared_amount)

    def refuse(self, _story, order: Order, _number, reason: str, comment: str) -> None:
        proof = next(proof for proof in order.proofs if proof.is_pending)
        proofs.refuse_proof(proof, self.admin, reason, comment)

    def purchase(self, _story, order: Order, _number, number: str | None = None) -> None:
        logistics.record_purchase(order, self.staff, number)

    def ship(self, _story, order: Order, _number, carrier: str, tracking: str) -> None:
        logistics.record_shipment(order, self.staff, carrier, tracking, tracking_url(carrier,
                                                                                     tracking))

    def arrive(self, _story, order: Order, _number, grams: int, photo: bool = False,
               adjustments=()) -> None:
        rate = AgencySettings.get().transport_rate_per_kg
        invoicing.record_arrival(order, self.staff, invoicing.Arrival(
            grams, invoicing.transport_fee(grams, rate), list(adjustments)))
        if photo:
            logistics.add_arrival_photos(order, [inspect_proof(
                io.BytesIO(parcel_photo(order)), current_app.config["MAX_CONTENT_LENGTH"])])

    def hand_over(self, _story, order: Order, _number, collected_by: str) -> None:
        pickup.hand_over(order, self.staff, collected_by)

    def cancel_staff(self, _story, order: Order, _number, reason: str, method: str,
                     note: str) -> None:
        held = refunds.money_held(order)
        refund = refunds.RefundInput(held, method, agency_today(), self.transaction_ref(method))
        refunds.cancel_order(order, self.admin, reason, note, refund)

    def staff_says(self, _story, order: Order, _number, text: str, channel: str) -> None:
        threads.staff_writes(order, self.staff, text, channel)

    def note(self, _story, order: Order, _number, text: str) -> None:
        threads.add_note(order, self.staff, text)

    # Made-up but plausible identifiers.

    def hex_digits(self, length: int) -> str:
        return "".join(self.chance.choice("0123456789abcdef") for _ in range(length))

    def digits(self, length: int) -> str:
        return "".join(self.chance.choice(string.digits) for _ in range(length))

    def transaction_ref(self, method: str) -> str:
        now = clock.utcnow()
        if method == ORANGE:
            return f"MP{now:%y%m%d}.{now:%H%M}.C{self.digits(5)}"
        if method == WAVE:
            alphabet = string.ascii_uppercase + string.digits
            return "T_" + "".join(self.chance.choice(alphabet) for _ in range(16))
        return f"VIR{now:%Y%m%d}{self.digits(6)}"


def payment_method(name: str) -> PaymentMethod:
    return next(method for method in active_payment_methods() if method.name == name)


def xof(euro_cents: int) -> int:
    """A price seen in euros, in F CFA at the fixed parity, rounded up to 100 F."""
    return -(-round(euro_cents * EUR_IN_XOF) // 10_000) * 100


def _kilos(kg: float) -> str:
    return f"{kg:g}".replace(".", ",")


TRACKING = {
    "DHL Express": "https://www.dhl.com/ci-fr/home/suivi.html?tracking-id={}",
    "Colissimo": "https://www.laposte.fr/outils/suivre-vos-envois?code={}",
    "Cainiao": "https://global.cainiao.com/detail.htm?mailNoList={}",
}


def tracking_url(carrier: str, number: str) -> str | None:
    return TRACKING[carrier].format(number) if carrier in TRACKING else None


# --- Pictures: a payment receipt as a phone shows it, and the parcel on arrival -------------

FONTS = Path(__file__).parent / "fonts"
HEADERS = {ORANGE: ("#ff7900", "Orange Money"), WAVE: ("#1dc8f2", "Wave"),
           BANK: ("#00457c", "Banque Atlantique CI"), CASH: ("#444444", "Reçu de caisse")}


def _font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONTS / ("DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf")),
                              size)


def _jpeg(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=88)
    return out.getvalue()


def _francs(amount: int) -> str:
    return f"{amount:,}".replace(",", " ") + " FCFA"


def receipt_image(method: str, amount: int, reference: str, order: Order,
                  blurred: bool = False) -> bytes:
    """A white phone screenshot of the payment, as Orange Money, Wave or the bank show it."""
    colour, brand = HEADERS[method]
    now = clock.utcnow()
    image = Image.new("RGB", (720, 1280), "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, 720, 150), fill=colour)
    draw.text((40, 48), brand, font=_font(46, bold=True), fill="white")
    title = "Avis de virement exécuté" if method == BANK else "Transfert réussi"
    draw.ellipse((300, 200, 420, 320), fill="#2e9e4f")
    draw.line((330, 262, 352, 288, 392, 236), fill="white", width=12)
    draw.text((360, 360), title, font=_font(36, bold=True), fill="#222222", anchor="mm")
    draw.text((360, 440), _francs(amount), font=_font(58, bold=True), fill="#111111",
              anchor="mm")
    account = {BANK: ("Compte", "CI93 CI00 0101 …9012"), WAVE: ("Numéro", "07 00 00 00 02")}
    rows = [("Bénéficiaire", "ACHATS SANS FRONTIERES"),
            account.get(method, ("Numéro", "07 00 00 00 01")),
            ("Émetteur", order.user.full_name), ("Frais", _francs(0)),
            ("Date", f"{now:%d/%m/%Y %H:%M}"), ("Motif", order.reference),
            ("Transaction", reference)]
    y = 540
    for label, value in rows:
        draw.text((50, y), label, font=_font(26), fill="#777777")
        draw.text((670, y), value, font=_font(26, bold=True), fill="#222222", anchor="ra")
        draw.line((50, y + 52, 670, y + 52), fill="#e5e5e5", width=2)
        y += 76
    draw.rounded_rectangle((50, 1130, 670, 1210), radius=40, fill=colour)
    draw.text((360, 1170), "Partager le reçu", font=_font(30, bold=True), fill="white",
              anchor="mm")
    if blurred:  # a photo taken too fast: nothing can be read
        image = image.rotate(4, expand=False, fillcolor="#dddddd").filter(
            ImageFilter.GaussianBlur(9))
    return _jpeg(image)


def parcel_photo(order: Order) -> bytes:
    """A brown parcel on the agency's shelf, its label showing the reference."""
    image = Image.new("RGB", (1024, 768), "#b9b4aa")
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 560, 1024, 768), fill="#8a8378")
    draw.polygon([(220, 260), (700, 260), (820, 180), (340, 180)], fill="#c9995c")
    draw.polygon([(700, 260), (820, 180), (820, 520), (700, 620)], fill="#a87a43")
    draw.rectangle((220, 260, 700, 620), fill="#bd8a4e")
    draw.rectangle((430, 260, 490, 620), fill="#d9c7a0")
    draw.polygon([(430, 260), (490, 260), (610, 180), (550, 180)], fill="#e3d4b0")
    draw.rectangle((245, 295, 420, 425), fill="white", outline="#333333", width=2)
    draw.text((257, 307), order.reference or "", font=_font(14, bold=True), fill="#111111")
    draw.text((257, 335), order.user.full_name, font=_font(15), fill="#111111")
    draw.text((257, 361), f"{(order.weight_grams or 0) / 1000:.1f} kg".replace(".", ","),
              font=_font(15), fill="#111111")
    for x in range(257, 405, 6):  # a barcode
        draw.line((x, 392, x, 414), fill="#111111", width=1 + (x // 6) % 3)
    return _jpeg(image)

