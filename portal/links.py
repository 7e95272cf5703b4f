"""Absolute links for messages, built from PUBLIC_BASE_URL (works in requests, CLI and workers)."""
from urllib.parse import urlsplit

from flask import current_app


def external_url(endpoint: str, **values) -> str:
    base = urlsplit(current_app.config["PUBLIC_BASE_URL"])
    adapter = current_app.url_map.bind(base.netloc, script_name=base.path or "/",
                                       url_scheme=base.scheme or "https")
    return adapter.build(endpoint, values, force_external=True)
