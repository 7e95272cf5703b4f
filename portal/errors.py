"""Error pages in the visitor's language, for the errors a person can meet."""
from flask import current_app, g, make_response, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from psycopg.errors import LockNotAvailable, QueryCanceled
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from werkzeug.exceptions import HTTPException

from portal.extensions import db, login_manager

MESSAGES = {
    400: (_l("Requête invalide"), _l("La demande n'a pas pu être comprise. Revenez en arrière et "
                                     "réessayez.")),
    403: (_l("Accès refusé"), _l("Vous n'avez pas accès à cette page.")),
    404: (_l("Page introuvable"), _l("Cette page n'existe pas ou n'est plus disponible.")),
    405: (_l("Action non permise"), _l("Cette action n'est pas possible sur cette page.")),
    413: (_l("Fichier trop volumineux"), None),
    429: (_l("Trop de tentatives"), _l("Vous avez fait trop de tentatives en peu de temps. "
                                       "Patientez quelques minutes puis réessayez.")),
    500: (_l("Erreur du serveur"), _l("Une erreur inattendue s'est produite. L'équipe est "
                                      "prévenue ; réessayez dans un instant.")),
}
CSRF_MESSAGE = _l("Le formulaire a expiré ou n'est pas valide. Rechargez la page et réessayez.")


def too_large_message() -> str:
    megabytes = max(1, (current_app.config.get("MAX_CONTENT_LENGTH") or 0) // (1024 * 1024))
    return _("Le fichier ou le formulaire envoyé dépasse la taille autorisée (%(mb)d Mo).",
             mb=megabytes)


def render_error(code: int, message=None):
    """The error page; the outage page when the account its menu shows cannot be loaded."""
    try:
        current_user.is_authenticated  # noqa: B018 (loads the account, from the database)
    except DBAPIError as error:
        reason = worth_a_retry(error)
        if reason is None:
            raise
        return database_unavailable(error, reason)
    title, default = MESSAGES.get(code, MESSAGES[400 if code < 500 else 500])
    if code == 413:
        default = too_large_message()
    return render_template("errors/error.html", code=code, title=title,
                           message=message or default), code


def handle_http(error: HTTPException):
    if error.code is None or error.code < 400:  # routing redirects are not errors
        return error
    response = make_response(render_error(error.code))
    if response.status_code == error.code:
        # Keep what the error tells the client besides its body (Allow on a 405, Retry-After).
        for name, value in error.get_headers():
            if name.lower() != "content-type":
                response.headers[name] = value
    return response


def handle_csrf(error: CSRFError):
    return render_error(400, CSRF_MESSAGE)


def handle_unexpected(error: Exception):
    current_app.logger.exception("Unhandled error")
    db.session.rollback()
    return render_error(500)


def unreachable(error: DBAPIError) -> bool:
    """No connection could be made (SQLAlchemy gives such an error no statement), or the one
    in use was lost; an error in a statement (a missing table, a deadlock) is something else."""
    return error.statement is None or error.connection_invalidated


def gave_up(error: DBAPIError) -> bool:
    """The database stopped the statement: it ran past DATABASE_STATEMENT_TIMEOUT, or waited
    past DATABASE_LOCK_TIMEOUT for rows another transaction holds (config.engine_options)."""
    return isinstance(error.orig, (QueryCanceled, LockNotAvailable))


def worth_a_retry(error: DBAPIError) -> str | None:
    """Why the same request may well work in a moment (for the log), or None."""
    if unreachable(error):
        return "Database unavailable"
    if gave_up(error):
        return "Database statement or lock wait timed out"
    return None


def handle_database_error(error: DBAPIError):
    reason = worth_a_retry(error)
    if reason is None:
        return handle_unexpected(error)
    return database_unavailable(error, reason)


def database_unavailable(error: DBAPIError, what: str):
    """A 503 asking to retry, on a page that reads nothing from the database, so a signed-in
    visitor sees it too (as a visitor: Flask-Login's user for this request becomes anonymous,
    since the account may not be loadable). The session cookie is left as it was; the
    transaction is rolled back, so nothing of the request is kept."""
    current_app.logger.warning(what, exc_info=error)
    g._login_user = login_manager.anonymous_user()
    try:
        db.session.rollback()
    except SQLAlchemyError:  # the connection is gone with the server: nothing to undo
        pass
    path = "/" + request.path.lstrip("/")  # never "//host/…", a link off the site
    retry = f"{path}?{request.query_string.decode('latin-1')}" if (
        request.method == "GET" and request.query_string) else path
    return render_template("errors/unavailable.html", retry=retry), 503, {"Retry-After": "30"}


def register(app) -> None:
    app.register_error_handler(DBAPIError, handle_database_error)
    app.register_error_handler(CSRFError, handle_csrf)
    app.register_error_handler(HTTPException, handle_http)
    app.register_error_handler(Exception, handle_unexpected)
