"""Command-line tools: `flask users …`, `flask outbox work`, `flask pickup remind`, `flask demo`."""
from datetime import timedelta

import click
from email_validator import EmailNotValidError, validate_email
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import func, select

from portal.clock import utcnow
from portal.extensions import db
from portal.members import accounts
from portal.members.models import Address, User
from portal.members.passwords import password_problem
from portal.messaging import outbox, threads
from portal.proforma.forms import QuoteInput
from portal.proforma.quoting import issue_proforma
from portal.proforma.totals import Deposit, Fee, Line, Quote
from portal.requests import ordering, pickup
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

users = AppGroup("users", help="Manage accounts.")
outbox_cli = AppGroup("outbox", help="Deliver queued messages.")
pickup_cli = AppGroup("pickup", help="Ready orders waiting to be collected.")


@users.command("create-admin")
@click.argument("email")
@click.option("--name", default="Administrateur", help="Full name of the admin.")
@click.option("--password", envvar="ADMIN_PASSWORD", default=None,
              help="Password (default: asked on the terminal; env ADMIN_PASSWORD).")
def create_admin(email: str, name: str, password: str | None):
    """Create a confirmed admin account for EMAIL (or promote the existing account)."""
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError as error:
        raise click.ClickException(f"Not a valid e-mail address: {error}") from None
    if not 2 <= len(name.strip()) <= 120:
        raise click.ClickException("The name must have 2 to 120 characters.")
    if password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    problem = password_problem(password, email)
    if problem:
        raise click.ClickException(str(problem))
    user = accounts.create_admin(email, name, password)
    db.session.commit()
    click.echo(f"Admin account ready: {user.email}")


@outbox_cli.command("work")
@click.option("--once", is_flag=True, help="Deliver what is due now, then stop.")
@click.option("--poll", default=5.0, show_default=True, help="Seconds between polls when idle.")
def work(once: bool, poll: float):
    """Deliver pending messages (several workers may run at once)."""
    sent = outbox.work(poll_seconds=poll, once=once)
    click.echo(f"{sent} message(s) sent.")


@pickup_cli.command("remind")
def remind():
    """Remind members whose ready orders wait longer than the settings allow (cron: daily).
    `flask outbox work` also does this once an hour."""
    sent = pickup.send_reminders()
    click.echo(f"{sent} reminder(s) queued.")


# Development only (refused in production); listed in the README.
DEMO_ACCOUNTS = [
    ("admin@demo.example.com", "Awa Diallo", "admin", "demo-admin-portail"),
    ("equipe@demo.example.com", "Koffi Mensah", "staff", "demo-equipe-portail"),
    ("membre@demo.example.com", "Fatou Ndiaye", "member", "demo-membre-portail"),
]


@click.command("demo")
@with_appcontext
def demo():
    """Create the demo accounts once (an admin, a staff member, a member) and print them."""
    if current_app.config["PORTAL_ENV"] == "production":
        raise click.ClickException("Demo data is never added to a production database.")
    if db.session.scalar(select(func.count(User.id))):
        click.echo("Demo data: the database already has accounts; nothing added.")
    else:
        for email, name, role, password in DEMO_ACCOUNTS:
            db.session.add(demo_user(email, name, role, password))
        add_demo_agency(db.session.scalar(select(User).where(User.role == "admin")))
        db.session.commit()
        add_demo_requests()
        db.session.commit()
        outbox.deliver_due(100)  # the demo's mail, written as .eml files in development
    click.echo("Demo accounts (development only):")
    for email, _name, role, password in DEMO_ACCOUNTS:
        click.echo(f"  {role:<7} {email:<26} {password}")


def demo_user(email: str, name: str, role: str, password: str) -> User:
    user = User(email=email, full_name=name, role=role, phone="+2250701020304",
                preferred_channel="whatsapp", locale="fr", confirmed_at=utcnow())
    user.set_password(password)
    if role == "member":
        user.addresses.append(Address(label="Maison", recipient=name, line1="Rue des Jardins 12",
                                      city="Abidjan", country="CI", is_default=True))
    return user


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
DEMO_PAYMENT_METHODS = [
    ("Orange Money", "Envoyez le montant au 07 00 00 00 01 (Achats Sans Frontières) en "
                     "indiquant la référence de votre demande."),
    ("Wave", "Paiement Wave au 07 00 00 00 02, avec la référence de votre demande."),
    ("Virement bancaire", "Banque Atlantique Côte d'Ivoire\nIBAN CI93 CI00 0101 0000 1234 5678 "
                          "9012\nBIC ATCICIAB\nLibellé : la référence de votre demande"),
    ("Espèces à l'agence", "Agence Plateau, du lundi au vendredi de 9 h à 18 h."),
]
DEMO_REQUESTS = [
    [("Robe portefeuille en lin", "https://www.zara.com/fr/robe-lin-p0123.html", 1, "Taille M"),
     ("Baskets en toile", "https://www.zara.com/fr/baskets-p0456.html", 2, "42, blanc")],
    [("Sac à dos 20 L", "https://www.decathlon.fr/p/sac-a-dos-20l", 1, "Bleu"),
     ("Gourde isotherme 0,5 L", "https://www.decathlon.fr/p/gourde-05l", 2, None)],
]


def add_demo_agency(admin: User) -> None:
    """Agency settings, payment methods, partner shops, pickup points and the terms."""
    settings = AgencySettings(id=1, **(SETTINGS_DEFAULTS | DEMO_SETTINGS))
    db.session.add(settings)
    for position, (name, instructions) in enumerate(DEMO_PAYMENT_METHODS, start=1):
        db.session.add(PaymentMethod(name=name, instructions=instructions, position=position))
    for position, (name, url, country, text) in enumerate(DEMO_SHOPS, start=1):
        agency.save_shop(None, name=name, url=url, country=country, description=text,
                         is_visible=True).position = position
    for name, address, hours in DEMO_POINTS:
        agency.save_pickup_point(None, name=name, address=address, opening_hours=hours,
                                 is_active=True)
    agency.publish_terms(DEMO_TERMS, admin)


def register(app: Flask) -> None:
    app.cli.add_command(users)
    app.cli.add_command(outbox_cli)
    app.cli.add_command(pickup_cli)
    app.cli.add_command(demo)


def add_demo_requests() -> None:
    """Two requests of the demo member: one waiting for its quote, one quoted (with a short
    exchange in its thread)."""
    member = db.session.scalar(select(User).where(User.role == "member"))
    staff = db.session.scalar(select(User).where(User.role == "staff"))
    orders = []
    for items in DEMO_REQUESTS:
        for name, url, quantity, details in items:
            ordering.add_item(member, name, url, quantity, details)
        orders.append(ordering.submit_request(
            member, member.default_address, "pickup", active_pickup_points()[0],
            TermsVersion.current()))
    quote = Quote([Line(i.name, i.url, i.quantity, 9500 * (n + 1), None, i.details, i.id)
                   for n, i in enumerate(orders[1].items)],
                  [Fee("service", "Frais de service", 2850), Fee("shipping",
                                                                  "Transport international estimé",
                                                                  12000)],
                  Deposit("percent", 5000))
    methods = [method.id for method in active_payment_methods()]
    valid_until = agency_today() + timedelta(days=7)
    issue_proforma(orders[1], QuoteInput(quote, valid_until, methods, None, False), staff)
    threads.member_writes(orders[1], member, "Bonjour, le sac existe-t-il aussi en vert ?")
    threads.staff_writes(orders[1], staff, "Bonjour Fatou, oui : nous pouvons le prendre en vert "
                         "au même prix. Dites-nous si vous préférez cette couleur.", "portal")
