"""The home page, the icon, the language chooser and /healthz."""
import os

from flask import (
    Blueprint,
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    send_from_directory,
    session,
    url_for,
)
from flask_login import current_user

from portal.extensions import db, limiter
from portal.main import health
from portal.security import safe_next

bp = Blueprint("main", __name__)

ICON_MAX_AGE = 7 * 24 * 3600  # seconds a browser keeps the icon


@bp.route("/")
def index():
    return render_template("main/index.html")


@bp.route("/favicon.ico")
def favicon():
    """The portal's icon where every browser looks for it, whatever the page (a PDF, a photo);
    the pages name it and its SVG and home-screen versions (base.html)."""
    return send_from_directory(os.path.join(current_app.static_folder, "icons"), "favicon.ico",
                               mimetype="image/vnd.microsoft.icon", max_age=ICON_MAX_AGE)


@bp.route("/langue/<code>", methods=["POST"])
def set_language(code: str):
    if code not in current_app.config["LANGUAGES"]:
        abort(404)
    session["lang"] = code
    if current_user.is_authenticated:
        current_user.locale = code
        db.session.commit()
    return redirect(safe_next(request.form.get("next"), url_for("main.index")))


@bp.route("/healthz")
@limiter.exempt
def healthz():
    """For load balancers: 200 while the database answers, else 503. No login, no cookie."""
    body, healthy = health.report()
    response = jsonify(body)
    response.status_code = 200 if healthy else 503
    response.headers["Cache-Control"] = "no-store"
    return response
