"""Absolute links for messages, built from PUBLIC_BASE_URL (works in requests, CLI and
workers), and long links shortened for reading."""
from urllib.parse import urlsplit

from flask import current_app


def external_url(endpoint: str, **values) -> str:
    base = urlsplit(current_app.config["PUBLIC_BASE_URL"])
    adapter = current_app.url_map.bind(base.netloc, script_name=base.path or "/",
                                       url_scheme=base.scheme or "https")
    return adapter.build(endpoint, values, force_external=True)


def short_url(url: str, width: int = 50) -> str:
    """A long link shortened for reading: host and the end of the path ("zara.com/…/p0123")."""
    url = url or ""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url[:width]
    host = (parts.hostname or "").removeprefix("www.")
    rest = url.split(parts.netloc, 1)[-1] if parts.netloc else url
    text = host + rest
    if len(text) <= width:
        return text
    tail = width - len(host) - 2
    return f"{host}/…{rest[-tail:]}" if tail > 8 else text[:width - 1] + "…"
