"""What gunicorn serves during the load run: the portal's own `wsgi:app` (settings from the
environment), plus `/bench/constant`, a route returning a constant page through the same stack
(the ceiling of this server on this machine). The route exists only here, never in the product.
The app object is wsgi.py's, so a gunicorn configuration that imports `wsgi` (post_fork) works
on the same app.
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from wsgi import app  # noqa: E402

CONSTANT = "<!doctype html><title>bench</title><p>constant</p>"


@app.route("/bench/constant")
def bench_constant():
    return CONSTANT
