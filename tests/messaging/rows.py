"""Rows read back for assertions, detached from the session so tests can look at them after
the app context closes."""
from portal.extensions import db


def detached(app, model, row_id: int):
    """One row by id, read in its own app context."""
    with app.app_context():
        row = db.session.get(model, row_id)
        db.session.expunge(row)
        return row


def detached_all(query) -> list:
    """Every row a select returns (call inside an app context)."""
    found = list(db.session.scalars(query))
    db.session.expunge_all()
    return found
