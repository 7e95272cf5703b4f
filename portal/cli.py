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


def register(app: Flask) -> None:
    app.cli.add_command(users)
    app.cli.add_command(outbox_cli)
    app.cli.add_command(demo)
