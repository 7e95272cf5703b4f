"""A quicker way for Flask-Babel to find its per-request state.

Every translated word, date and amount asks Flask-Babel for the locale and the translations of
the current request, and each time Flask-Babel finds its state through three lookups of
`flask.g` (truth, `hasattr`, attribute). A page of 25 orders makes about 700 such calls:
a quarter of its rendering time at 100 000 orders (bench/load.py). `install()` replaces that
function of Flask-Babel 4.0 with one that looks `g` up once and keeps the same answers: None
outside an application context, else the same namespace on `g`.

tests/test_babel_speed.py checks the answers and fails if Flask-Babel no longer has the
function (then remove this module).
"""
from types import SimpleNamespace

import flask_babel
from flask import g

_ORIGINAL = flask_babel._get_current_context


def _current_context() -> SimpleNamespace | None:
    try:
        namespace = g._get_current_object()
    except RuntimeError:  # no application context
        return None
    try:
        return namespace._flask_babel
    except AttributeError:
        namespace._flask_babel = found = SimpleNamespace()
        return found


def install() -> None:
    flask_babel._get_current_context = _current_context
