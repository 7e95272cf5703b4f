"""The outbox: a message is a row of the same transaction as the change that caused it, sent
after the commit or by workers, retried with back-off, never lost and never sent twice.
"""
import logging
import threading
import time
from collections import Counter
from datetime import timedelta

import pytest
from flask import abort
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import OperationalError

from portal import create_app
from portal.clock import utcnow
from portal.extensions import db
from portal.members.models import User
from portal.messaging import outbox
from portal.messaging.models import OutboxMessage
from portal.messaging.outbox import (
    CHANNELS,
    claim,
    claim_due,
    deliver_due,
    deliver_rows,
    due_condition,
    queue_email,
)
from tests.conftest import path_of
from tests.factories import login, make_user
from tests.messaging.conftest import (
    SIGNUP,
    add_message,
    eml_files,
    make_due,
    outbox_row,
    read_eml,
)


def is_postgresql(app) -> bool:
    return app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql")


# --- In the same transaction as the change ------------------------------------------------

@pytest.fixture
def throwaway_app(app, tmp_path):
    """A second app on the same database, with routes of its own (the session app is left as
    it is): one queues a mail then fails, one queues a mail and commits."""
    other = create_app({
        "TESTING": True,
        "SECRET_KEY": app.config["SECRET_KEY"],
        "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
        "PUBLIC_BASE_URL": "http://localhost",
        "MAIL_SERVER": "",
        "MAIL_FILE_DIR": str(tmp_path / "mail"),
        "OUTBOX_SEND_AT_ONCE": True,
    })

    def queue_then(outcome: str):
        user = db.session.scalar(select(User))
        user.full_name = "Nom modifié"
        queue_email("confirm", "confirm", user=user, confirm_url="http://localhost/x")
        if outcome == "crash":
            raise RuntimeError("the change failed after the mail was queued")
        if outcome == "refuse":
            db.session.rollback()
            abort(409)
        db.session.commit()
        return "ok"

    other.add_url_rule("/essai/<outcome>", view_func=queue_then)
    yield other
    with other.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.mark.parametrize("outcome, status", [("crash", 500), ("refuse", 409)])
def test_a_mail_queued_in_a_transaction_that_rolls_back_leaves_no_row_and_sends_nothing(
        app, throwaway_app, outbox, tmp_path, outcome, status):
    with app.app_context():
        make_user("awa@example.com")
    response = throwaway_app.test_client().get(f"/essai/{outcome}")
    assert response.status_code == status
    assert outbox.all() == []
    assert eml_files(tmp_path / "mail") == []
    with app.app_context():
        assert db.session.scalar(select(User.full_name)) == "Awa Koné"


def test_the_same_mail_in_a_transaction_that_commits_is_kept_and_sent(app, throwaway_app, outbox,
                                                                       tmp_path):
    with app.app_context():
        make_user("awa@example.com")
    assert throwaway_app.test_client().get("/essai/commit").status_code == 200
    [row] = outbox.all()
    assert row.status == "sent" and row.attempts == 1
    assert len(eml_files(tmp_path / "mail")) == 1


# --- Sent after the commit, or by the workers ---------------------------------------------

def test_a_committed_mail_is_sent_right_after_the_request(app, client, mail_dir, outbox):
    client.post_form("/inscription", SIGNUP)
    [row] = outbox.to("fatou@example.com", "confirm")
    assert row.status == "sent"
    assert row.attempts == 1 and row.sent_at is not None and row.last_error is None
    assert len(eml_files(mail_dir)) == 1


def test_with_sending_at_once_off_the_mail_waits_for_the_worker(app, client, runner, mail_dir,
                                                                outbox, monkeypatch):
    monkeypatch.setitem(app.config, "OUTBOX_SEND_AT_ONCE", False)
    client.post_form("/inscription", SIGNUP)
    [row] = outbox.to("fatou@example.com", "confirm")
    assert row.status == "pending" and row.attempts == 0
    assert eml_files(mail_dir) == []

    result = runner.invoke(args=["outbox", "work", "--once"])
    assert result.exit_code == 0, result.output
    assert "1 message(s) sent." in result.output
    [row] = outbox.to("fatou@example.com", "confirm")
    assert row.status == "sent" and row.attempts == 1
    assert len(eml_files(mail_dir)) == 1

    again = runner.invoke(args=["outbox", "work", "--once"])
    assert "0 message(s) sent." in again.output
    assert len(eml_files(mail_dir)) == 1


def test_a_failure_while_sending_after_the_request_never_spoils_the_answer(
        app, client, runner, mail_dir, outbox, monkeypatch):
    def database_hiccup(ids):
        raise OperationalError("UPDATE outbox_messages ...", {}, Exception("database is locked"))

    with monkeypatch.context() as patch:
        patch.setattr("portal.messaging.outbox.claim", database_hiccup)
        response = client.post_form("/inscription", SIGNUP)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/inscription/verifiez-vos-e-mails")
    [row] = outbox.to("fatou@example.com", "confirm")
    assert row.status == "pending"

    assert "1 message(s) sent." in runner.invoke(args=["outbox", "work", "--once"]).output
    assert len(eml_files(mail_dir)) == 1


def test_a_message_not_yet_due_is_left_for_later(app, runner, mail_dir):
    with app.app_context():
        row_id = add_message(next_attempt_at=utcnow() + timedelta(minutes=5))
    assert "0 message(s) sent." in runner.invoke(args=["outbox", "work", "--once"]).output
    assert outbox_row(app, row_id).status == "pending"
    assert eml_files(mail_dir) == []


# --- Without a mail server ----------------------------------------------------------------

def test_with_no_mail_server_the_mail_is_an_eml_file_with_the_link_inside(app, client, mail_dir,
                                                                          outbox, caplog):
    caplog.set_level(logging.WARNING, logger="portal.messaging.email")
    client.post_form("/inscription", SIGNUP)
    link = outbox.link("fatou@example.com", "confirm")

    [path] = eml_files(mail_dir)
    message = read_eml(path)
    assert message["To"] == "fatou@example.com"
    assert message["Subject"] == "Confirmez votre adresse e-mail"
    assert link in message.get_body(("plain",)).get_content()
    assert link in message.get_body(("html",)).get_content()
    assert link in caplog.text, "the link is logged so a newcomer can follow it"

    response = client.get(path_of(link), follow_redirects=True)
    assert "Votre adresse e-mail est confirmée" in response.get_data(as_text=True)


# --- Failures, back-off, final failure ----------------------------------------------------

def seconds_until_next_attempt(app, row_id: int) -> float:
    row = outbox_row(app, row_id)
    return (row.next_attempt_at - utcnow()).total_seconds()


def test_a_failing_server_leaves_the_mail_pending_with_the_error(app, client, smtp_down, outbox,
                                                                 monkeypatch):
    monkeypatch.setitem(app.config, "OUTBOX_RETRY_SECONDS", 100)
    client.post_form("/inscription", SIGNUP)
    [row] = outbox.to("fatou@example.com", "confirm")
    assert row.status == "pending"
    assert row.attempts == 1
    assert row.sent_at is None
    assert "Connection" in row.last_error  # ConnectionRefusedError: [Errno 111] ...
    assert 95 <= seconds_until_next_attempt(app, row.id) <= 100


def test_each_new_failure_doubles_the_delay(app, smtp_down, monkeypatch):
    monkeypatch.setitem(app.config, "OUTBOX_RETRY_SECONDS", 100)
    with app.app_context():
        row_id = add_message()
    delays = []
    for attempt in (1, 2, 3):
        make_due(app, row_id)
        with app.app_context():
            assert deliver_due() == 0
        row = outbox_row(app, row_id)
        assert (row.status, row.attempts) == ("pending", attempt)
        delays.append(seconds_until_next_attempt(app, row_id))
    assert [round(d, -1) for d in delays] == [100, 200, 400]


def test_after_the_last_attempt_the_message_has_failed_for_good(app, smtp_down, monkeypatch,
                                                                 runner):
    monkeypatch.setitem(app.config, "OUTBOX_MAX_ATTEMPTS", 3)
    with app.app_context():
        row_id = add_message()
    for _attempt in range(3):
        make_due(app, row_id)
        runner.invoke(args=["outbox", "work", "--once"])
    row = outbox_row(app, row_id)
    assert row.status == "failed"
    assert row.attempts == 3
    assert row.last_error

    make_due(app, row_id)
    smtp_down.start()
    assert "0 message(s) sent." in runner.invoke(args=["outbox", "work", "--once"]).output
    assert smtp_down.messages == []
    assert outbox_row(app, row_id).status == "failed"


# --- Staff see failed messages and send them again ----------------------------------------

@pytest.fixture
def failed_message(app) -> int:
    with app.app_context():
        return add_message("bakary@example.com", subject="Votre devis", status="failed",
                           attempts=8, last_error="ConnectionRefusedError: le serveur dort")


def test_staff_see_the_failed_messages(app, client, failed_message):
    with app.app_context():
        make_user("equipe@example.com", role="staff")
        add_message("sent@example.com", status="sent")
    login(client, "equipe@example.com")
    page = client.get("/equipe/envois").get_data(as_text=True)
    assert "bakary@example.com" in page
    assert "Votre devis" in page
    assert "ConnectionRefusedError: le serveur dort" in page
    assert "Renvoyer" in page
    assert f"/equipe/envois/{failed_message}/relancer" in page
    assert "sent@example.com" not in page

    sent_tab = client.get("/equipe/envois?statut=sent").get_data(as_text=True)
    assert "sent@example.com" in sent_tab and "bakary@example.com" not in sent_tab


@pytest.mark.parametrize("at_once, status, attempts", [(True, "sent", 1), (False, "pending", 0)])
def test_renvoyer_puts_a_failed_message_back_in_the_queue(app, client, failed_message, mail_dir,
                                                         monkeypatch, at_once, status, attempts):
    monkeypatch.setitem(app.config, "OUTBOX_SEND_AT_ONCE", at_once)
    with app.app_context():
        make_user("equipe@example.com", role="staff")
    login(client, "equipe@example.com")
    response = client.post_form(f"/equipe/envois/{failed_message}/relancer", follow_redirects=True)
    assert "Le message sera renvoyé." in response.get_data(as_text=True)
    row = outbox_row(app, failed_message)
    assert (row.status, row.attempts) == (status, attempts)
    assert row.next_attempt_at <= utcnow()
    assert len(eml_files(mail_dir)) == attempts


def test_renvoyer_does_nothing_to_a_message_that_has_not_failed(app, client, mail_dir):
    with app.app_context():
        make_user("equipe@example.com", role="staff")
        row_id = add_message(status="sent", attempts=1)
    login(client, "equipe@example.com")
    client.post_form(f"/equipe/envois/{row_id}/relancer")
    assert (outbox_row(app, row_id).status, outbox_row(app, row_id).attempts) == ("sent", 1)
    assert eml_files(mail_dir) == []


def test_a_member_is_refused_the_outbox_pages(app, client, failed_message, mail_dir):
    with app.app_context():
        make_user("awa@example.com")
    login(client, "awa@example.com")
    assert client.get("/equipe/envois").status_code == 403
    response = client.post_form(f"/equipe/envois/{failed_message}/relancer")
    assert response.status_code == 403
    assert outbox_row(app, failed_message).status == "failed"
    assert eml_files(mail_dir) == []


def test_an_anonymous_visitor_is_sent_to_login(client):
    response = client.get("/equipe/envois")
    assert response.status_code == 302
    assert "/connexion" in response.headers["Location"]


# --- Abandoned claims ---------------------------------------------------------------------

@pytest.mark.parametrize("lease, picked_up", [(-1, True), (+5, False)])
def test_a_message_stuck_in_sending_is_picked_up_again_once_its_claim_expires(
        app, mail_dir, lease, picked_up):
    with app.app_context():
        row_id = add_message(status="sending", claimed_by="deadworker",
                             claimed_until=utcnow() + timedelta(minutes=lease))
        assert deliver_due() == (1 if picked_up else 0)
    assert outbox_row(app, row_id).status == ("sent" if picked_up else "sending")
    assert len(eml_files(mail_dir)) == (1 if picked_up else 0)


# --- Several workers ----------------------------------------------------------------------

def test_a_row_claimed_by_one_worker_is_not_sent_by_another(app, mail_dir):
    """Compare-and-set: the second claim on the same rows gets nothing."""
    with app.app_context():
        ids = [add_message(f"n{i}@example.com") for i in range(3)]
    with app.app_context():
        assert claim_due(10) == ids
    with app.app_context():
        assert claim(ids) == []
        assert deliver_rows(ids) == 0
        assert deliver_due() == 0
    assert eml_files(mail_dir) == []


def test_a_row_whose_lease_ran_out_in_a_batch_is_sent_once(app, mail_dir, monkeypatch):
    """Worker A claims two rows; sending the first takes longer than the lease, so worker B
    claims the second meanwhile and sends it. A must then skip it: one e-mail each."""
    with app.app_context():
        first, second = add_message("a@example.com"), add_message("b@example.com")
    sent, by_b = [], []
    real_send = outbox.CHANNELS["email"]

    def slow_send(row):
        real_send(row)
        sent.append(row.id)
        if row.id == first:  # A is still busy when its lease ends: B takes the rest
            make_expired(app, second)
            with app.app_context():
                by_b.append(deliver_due())

    monkeypatch.setitem(outbox.CHANNELS, "email", slow_send)
    with app.app_context():
        assert deliver_rows([first, second]) == 1  # A sent the first only
    assert by_b == [1] and sent == [first, second]
    assert len(eml_files(mail_dir)) == 2
    assert outbox_row(app, second).status == "sent"


def make_expired(app, row_id: int) -> None:
    with app.app_context():
        db.session.execute(update(OutboxMessage).where(OutboxMessage.id == row_id)
                           .values(claimed_until=utcnow() - timedelta(seconds=1)))
        db.session.commit()


def test_on_postgresql_a_worker_skips_rows_another_has_locked(app, mail_dir):
    if not is_postgresql(app):
        pytest.skip("FOR UPDATE SKIP LOCKED is PostgreSQL's")
    with app.app_context():
        locked, free = add_message("a@example.com"), add_message("b@example.com")
        with db.engine.connect() as other_worker:
            other_worker.execute(select(OutboxMessage.id).where(OutboxMessage.id == locked)
                                 .with_for_update())
            db.session.execute(text("SET lock_timeout = '3s'"))
            assert claim_due(10) == [free]
            db.session.rollback()
    assert outbox_row(app, locked).status == "pending"


@pytest.fixture(params=["recording channel", "real SMTP server"])
def deliveries(request, app, monkeypatch):
    """Counts what actually leaves: by swapping the e-mail channel, or on a real SMTP server."""
    if request.param == "real SMTP server":
        server = request.getfixturevalue("smtp")
        return lambda: Counter(m["Subject"] for m in server.messages)
    seen, original = [], CHANNELS["email"]

    def record(row):
        time.sleep(0.005)  # long enough for the other worker to try the same rows
        seen.append(row.subject)
        original(row)

    monkeypatch.setitem(app.config, "MAIL_SERVER", "")
    monkeypatch.setitem(app.config, "MAIL_FILE_DIR",
                        str(request.getfixturevalue("tmp_path") / "mail"))
    monkeypatch.setitem(CHANNELS, "email", record)
    return lambda: Counter(seen)


def due_rows() -> int:
    return db.session.scalar(select(func.count(OutboxMessage.id))
                             .where(due_condition(utcnow())))


def test_two_workers_at_once_never_send_a_row_twice(app, deliveries):
    with app.app_context():
        for number in range(40):
            add_message(f"n{number}@example.com", subject=f"Message {number}")
    start, sent, errors = threading.Barrier(2), [], []

    def worker():
        try:
            with app.app_context():
                start.wait()
                total = 0
                for _batch in range(100):  # a worker that lost a race for a batch goes on
                    if not due_rows():
                        break
                    total += deliver_due(limit=4)
                sent.append(total)
                db.session.remove()
        except Exception as error:  # shown in the assertion below
            errors.append(error)

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert sum(sent) == 40
    assert deliveries() == Counter(f"Message {number}" for number in range(40))
    with app.app_context():
        statuses = db.session.scalars(select(OutboxMessage.status)).all()
    assert statuses == ["sent"] * 40
