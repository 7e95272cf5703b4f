"""The portal: create_app() builds the Flask application."""
import os

from dotenv import load_dotenv
from flask import Flask, has_request_context, session
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.middleware.proxy_fix import ProxyFix

from portal import babel_speed, cli, errors, storage, templating, wtforms_speed
from portal.config import check_production, engine_options, from_environment
from portal.extensions import babel, bootstrap, csrf, db, limiter, login_manager, migrate
from portal.security import IdConverter, add_security_headers

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def select_locale() -> str:
    """The visitor's chosen language, then their account's, then French."""
    languages = ("fr", "en")
    if not has_request_context():
        return "fr"
    chosen = session.get("lang")
    if chosen in languages:
        return chosen
    if current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    return "fr"


def select_timezone() -> str | None:
    """The agency's time zone (settings), else PORTAL_TIMEZONE."""
    from portal.staff.models import AgencySettings

    stored = AgencySettings.stored()
    return stored.timezone if stored is not None else None


def create_app(test_config: dict | None = None) -> Flask:
    load_dotenv(os.path.join(ROOT, ".env"))
    app = Flask(__name__, template_folder=os.path.join(ROOT, "templates"),
                instance_path=os.path.join(ROOT, "instance"))
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.update(from_environment(app.instance_path))
    app.config.update(test_config or {})
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", engine_options(app.config))
    check_production(app.config)
    storage.check_settings(app.config)
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = os.path.join(ROOT, "translations")
    if app.config.get("PROXY_FIX", os.environ.get("PROXY_FIX", "")):
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)

    import_models()
    init_extensions(app)
    app.url_map.converters["int"] = IdConverter
    register_blueprints(app)
    errors.register(app)
    templating.register(app)
    cli.register(app)
    app.after_request(add_security_headers)
    app.after_request(send_outbox_after_request)
    app.context_processor(template_globals)
    return app


def init_extensions(app: Flask) -> None:
    db.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(ROOT, "migrations"))
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    babel_speed.install()
    babel_speed.install_in_templates(app)
    wtforms_speed.install()
    bootstrap.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "members.login"
    login_manager.login_message = _l("Connectez-vous pour accéder à cette page.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"


def import_models() -> None:
    """Every package's models, so that relationships named by string resolve (and Alembic
    sees every table)."""
    from portal import numbering, tallies  # noqa: F401
    from portal.members import models as members  # noqa: F401
    from portal.messaging import models as messaging  # noqa: F401
    from portal.payments import models as payments  # noqa: F401
    from portal.proforma import models as proforma  # noqa: F401
    from portal.requests import models as requests  # noqa: F401
    from portal.staff import models as staff  # noqa: F401


def register_blueprints(app: Flask) -> None:
    from portal.main.routes import bp as main_bp
    from portal.members.routes import bp as members_bp
    from portal.messaging.routes import bp as messaging_bp
    from portal.messaging.webhooks import bp as twilio_bp
    from portal.payments.routes import bp as payments_bp
    from portal.proforma.routes import bp as proforma_bp
    from portal.requests.routes import bp as requests_bp
    from portal.staff.routes import bp as staff_bp

    for blueprint in (main_bp, members_bp, messaging_bp, payments_bp, proforma_bp, requests_bp,
                      staff_bp, twilio_bp):
        app.register_blueprint(blueprint)


def send_outbox_after_request(response):
    """Deliver the messages this request queued, once it has committed (development)."""
    from portal.messaging.outbox import send_queued_after_commit

    send_queued_after_commit()
    return response


def template_globals() -> dict:
    from portal.messaging.notifications import unread_count

    if not has_request_context():
        return {}
    unread = unread_count(current_user) if current_user.is_authenticated else 0
    return {"unread_notifications": unread, "current_locale": select_locale()}
