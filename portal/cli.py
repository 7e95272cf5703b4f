"""Command-line tools: `flask users …`, `flask outbox work`, `flask pickup remind`,
`flask storage check`, `flask demo`."""
import click
from email_validator import EmailNotValidError, validate_email
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import func, select

from portal import demo as demo_data
from portal import storage
from portal.demo import DEMO_ACCOUNTS
from portal.extensions import db
from portal.members import accounts
from portal.members.models import User
from portal.members.passwords import password_problem
from portal.messaging import outbox
from portal.requests import pickup
from portal.workflow import Status

users = AppGroup("users", help="Manage accounts.")
outbox_cli = AppGroup("outbox", help="Deliver queued messages.")
pickup_cli = AppGroup("pickup", help="Ready orders waiting to be collected.")
storage_cli = AppGroup("storage", help="Where files are stored.")


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


@storage_cli.command("check")
def storage_check():
    """Write, read back and delete a probe file in the configured store."""
    try:
        where = storage.probe()
    except OSError as error:
        raise click.ClickException(f"Storage check failed: {error}") from None
    click.echo(f"Storage OK: a probe file was written, read back and deleted in {where}.")


@click.command("demo")
@with_appcontext
def demo():
    """Create the demo agency once (accounts, shops, pickup points, orders in every status)
    and print the accounts. Development only; the data lives in portal/demo.py."""
    if current_app.config["PORTAL_ENV"] == "production":
        raise click.ClickException("Demo data is never added to a production database.")
    if db.session.scalar(select(func.count(User.id))):
        click.echo("Demo data: the database already has accounts; nothing added.")
    else:
        by_status = demo_data.build()
        while outbox.deliver_due(100):  # the demo's mail, written as .eml files in development
            pass
        click.echo("Demo orders: " + ", ".join(f"{status} {by_status[status]}"
                                                for status in Status if by_status[status]))
    click.echo("Demo accounts (development only):")
    for email, _name, role, password in DEMO_ACCOUNTS:
        click.echo(f"  {role:<7} {email:<36} {password}")


def register(app: Flask) -> None:
    app.cli.add_command(users)
    app.cli.add_command(outbox_cli)
    app.cli.add_command(pickup_cli)
    app.cli.add_command(storage_cli)
    app.cli.add_command(demo)
