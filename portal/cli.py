"""Command-line tools: `flask users …`, `flask outbox work`, `flask demo`."""
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
from portal.messaging import outbox
from portal.staff import agency

users = AppGroup("users", help="Manage accounts.")
outbox_cli = AppGroup("outbox", help="Deliver queued messages.")


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


def add_demo_agency(admin: User) -> None:
    """Partner shops, pickup points and a first version of the terms."""
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
    app.cli.add_command(demo)
