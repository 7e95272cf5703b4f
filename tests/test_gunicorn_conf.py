"""deploy/gunicorn.conf.py's hooks: the master compiles every template of the preloaded app once
(`when_ready`), and freezes what it holds out of the garbage collector's reach before each
fork (`pre_fork`), so that a worker, new or replacing one after max_requests, neither compiles
templates again nor spends its exit taking apart what it inherited."""
import gc
import runpy
import sys
import types
from pathlib import Path

import pytest

from portal.templating import compile_all

CONF = Path(__file__).resolve().parent.parent / "deploy" / "gunicorn.conf.py"


@pytest.fixture
def conf(app, monkeypatch):
    """The configuration's settings and hooks, `wsgi.app` being the test app."""
    monkeypatch.setitem(sys.modules, "wsgi", types.SimpleNamespace(app=app))
    monkeypatch.setenv("GUNICORN_PRELOAD", "1")
    return runpy.run_path(str(CONF))


@pytest.fixture
def empty_template_cache(app):
    app.jinja_env.cache.clear()
    yield app.jinja_env.cache
    app.jinja_env.cache.clear()


def test_every_template_compiles_into_the_cache(app, empty_template_cache):
    names = app.jinja_env.list_templates()
    assert "base.html" in names and "staff/orders.html" in names
    assert compile_all(app) == len(names)
    assert len(empty_template_cache) == len(names)
    compiled = app.jinja_env.get_template("staff/orders.html")
    assert app.jinja_env.get_template("staff/orders.html") is compiled  # from the cache


def test_the_master_compiles_the_templates_once_ready(conf, app, empty_template_cache):
    conf["when_ready"](None)
    assert len(empty_template_cache) == len(app.jinja_env.list_templates())


def test_without_preload_the_master_compiles_nothing(app, monkeypatch, empty_template_cache):
    monkeypatch.setenv("GUNICORN_PRELOAD", "0")
    monkeypatch.setitem(sys.modules, "wsgi", types.SimpleNamespace(app=app))
    runpy.run_path(str(CONF))["when_ready"](None)
    assert len(empty_template_cache) == 0


def test_each_fork_starts_from_a_frozen_heap(conf):
    gc.unfreeze()
    try:
        conf["pre_fork"](None, None)
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
