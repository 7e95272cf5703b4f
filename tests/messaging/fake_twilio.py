"""A stand-in for Twilio's REST API on loopback, for the real `twilio` library to talk to.

`FakeTwilio` is a small threaded HTTP server on 127.0.0.1 (a free port) that records every
request (method, path, headers, form-decoded body) and answers
POST /2010-04-01/Accounts/<sid>/Messages.json like Twilio: 201 and a message resource with a
new "SM…" SID, status "queued". It can be told to misbehave for the next requests: answer 500,
refuse with a 400 and Twilio's error JSON, or sleep past the client's timeout. It also serves
media files (GET /media/<name>) as Twilio serves what members send.

Import the fixtures into a test module to use them:

    from tests.messaging.fake_twilio import fake_twilio_fixture  # noqa: F401 (fixture)

`fake_twilio` starts the server and points the portal at it (TWILIO_API_BASE_URL, credentials,
a one-second TWILIO_TIMEOUT, OUTBOX_SEND_AT_ONCE off: tests drive the outbox themselves).
"""
import base64
import json
import secrets
import threading
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "twilio-test-auth-token-0123456789"
WHATSAPP_FROM = "whatsapp:+14155238886"
MESSAGES_PATH = f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"


@dataclass
class Recorded:
    """One request the server received, and what it answered (None: it never answered)."""
    method: str
    path: str
    headers: dict
    form: dict = field(default_factory=dict)
    answered: int | None = None
    sid: str | None = None

    @property
    def credentials(self) -> tuple[str, str] | None:
        """The (user, password) of HTTP basic authentication, if any."""
        value = self.headers.get("Authorization", "")
        if not value.startswith("Basic "):
            return None
        user, _, password = base64.b64decode(value[6:]).decode().partition(":")
        return user, password


class FakeTwilio:
    def __init__(self):
        self.requests: list[Recorded] = []
        self.lock = threading.Lock()
        self.plan: deque[tuple] = deque()  # what to do with the next requests instead
        self.media: dict[str, tuple[bytes, str]] = {}
        self.stopping = threading.Event()
        self.server: ThreadingHTTPServer | None = None
        self.thread: threading.Thread | None = None

    # --- Driving it ---------------------------------------------------------------------------

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> "FakeTwilio":
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={
            "poll_interval": 0.05}, daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()  # wakes the requests still sleeping
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def fail(self, times: int = 1, status: int = 500) -> None:
        """Answer the next `times` requests with a server error."""
        for _ in range(times):
            self.plan.append(("error", status, {"code": 20500, "message": "Internal Server Error",
                                                "more_info": "https://www.twilio.com/docs/errors/20500",
                                                "status": status}))

    def refuse(self, times: int = 1, code: int = 21211,
               message: str = "The 'To' number whatsapp:+2250701020304 is not a valid phone "
                              "number.") -> None:
        """Answer the next `times` requests with Twilio's 400 and its error JSON."""
        for _ in range(times):
            self.plan.append(("error", 400, {"code": code, "message": message,
                                             "more_info": f"https://www.twilio.com/docs/errors/{code}",
                                             "status": 400}))

    def stall(self, times: int = 1, seconds: float = 5.0) -> None:
        """Leave the next `times` requests unanswered for `seconds` (past the client's timeout);
        then drop the connection without an answer."""
        for _ in range(times):
            self.plan.append(("stall", seconds))

    def serve_media(self, name: str, data: bytes, content_type: str) -> str:
        """Serve a media file at /media/<name>; returns its URL."""
        self.media[name] = (data, content_type)
        return f"{self.url}/media/{name}"

    # --- What it saw --------------------------------------------------------------------------

    @property
    def messages(self) -> list[Recorded]:
        """The requests to create a message (whatever the server answered)."""
        with self.lock:
            return [r for r in self.requests if r.method == "POST" and r.path == MESSAGES_PATH]

    @property
    def accepted(self) -> list[Recorded]:
        """The messages the server accepted (answered 201)."""
        return [r for r in self.messages if r.answered == 201]

    def _record(self, recorded: Recorded) -> None:
        with self.lock:
            self.requests.append(recorded)

    def _next_plan(self) -> tuple | None:
        with self.lock:
            return self.plan.popleft() if self.plan else None


def message_resource(form: dict, sid: str) -> dict:
    """What Twilio answers to a new message (the fields the library reads)."""
    return {
        "sid": sid, "account_sid": ACCOUNT_SID, "api_version": "2010-04-01",
        "to": form.get("To"), "from": form.get("From"), "body": form.get("Body", ""),
        "status": "queued", "direction": "outbound-api", "num_segments": "1",
        "num_media": "0", "price": None, "price_unit": "USD", "error_code": None,
        "error_message": None, "messaging_service_sid": None,
        "date_created": "Thu, 26 Nov 2026 14:20:39 +0000",
        "date_updated": "Thu, 26 Nov 2026 14:20:39 +0000", "date_sent": None,
        "uri": f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{sid}.json",
        "subresource_uris": {"media": f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{sid}/Media.json"},
    }


def _handler(fake: FakeTwilio):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format, *args):  # noqa: A002 (the base class's name)
            pass

        def _answer(self, status: int, body: bytes, content_type: str = "application/json"):
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self):  # noqa: N802 (http.server's name)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length).decode()
            form = {name: values[0] if len(values) == 1 else values
                    for name, values in parse_qs(raw, keep_blank_values=True).items()}
            path = urlsplit(self.path).path
            recorded = Recorded("POST", path, dict(self.headers.items()), form)
            fake._record(recorded)
            if path != MESSAGES_PATH:
                recorded.answered = 404
                self._answer(404, json.dumps({"code": 20404, "message": "Not found",
                                              "status": 404}).encode())
                return
            plan = fake._next_plan()
            if plan is not None and plan[0] == "stall":
                fake.stopping.wait(plan[1])
                self.close_connection = True
                return
            if plan is not None and plan[0] == "error":
                recorded.answered = plan[1]
                self._answer(plan[1], json.dumps(plan[2]).encode())
                return
            recorded.sid = "SM" + secrets.token_hex(16)
            recorded.answered = 201
            self._answer(201, json.dumps(message_resource(form, recorded.sid)).encode())

        def do_GET(self):  # noqa: N802 (http.server's name)
            path = urlsplit(self.path).path
            recorded = Recorded("GET", path, dict(self.headers.items()))
            fake._record(recorded)
            name = path.removeprefix("/media/")
            if not path.startswith("/media/") or name not in fake.media:
                recorded.answered = 404
                self._answer(404, b"not found", "text/plain")
                return
            data, content_type = fake.media[name]
            recorded.answered = 200
            self._answer(200, data, content_type)

    return Handler


@pytest.fixture(name="fake_twilio")
def fake_twilio_fixture(app, monkeypatch):
    """The recording Twilio, running, with the portal configured to send through it."""
    server = FakeTwilio().start()
    for name, value in {"TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
                        "TWILIO_WHATSAPP_FROM": WHATSAPP_FROM,
                        "TWILIO_API_BASE_URL": server.url, "TWILIO_TIMEOUT": 1,
                        "OUTBOX_SEND_AT_ONCE": False, "OUTBOX_RETRY_SECONDS": 60}.items():
        monkeypatch.setitem(app.config, name, value)
    yield server
    server.stop()
