"""How one hostile case is sent and judged.

A `Form` says where a form (or query string) is sent, by whom, with what valid values, where
the values it keeps are read back (`stored`) and where they come back (`echoes`: pages,
e-mails, PDFs). A `Case` replaces one field of that valid submission with one hostile value and
names the outcome that is right for it:

- `Refused`: a 4xx, or the page again with the French message; nothing stored (every row of
  every table and every stored file compared before and after);
- `Accepted`: kept as typed (trimmed, as every text field is), and escaped wherever it comes
  back: the HTML pages, the e-mails queued (HTML body escaped, no line break in the subject)
  and the PDFs (read back with pypdf: the literal text, markup not interpreted);
- `Ignored` (query strings only): the bad value is left out, the page answers normally.

Whatever the outcome, no case may get a 5xx, and the raw value never comes back unescaped.
"""
import csv
import html
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from markupsafe import escape
from pypdf import PdfReader
from sqlalchemy import select
from twilio.request_validator import RequestValidator

from portal.extensions import db
from portal.messaging.models import OutboxMessage

SAME = object()  # Accepted(): the value as typed, trimmed


@dataclass(frozen=True)
class Refused:
    message: str | None = None  # the French text shown (None: any error tied to the field)
    status: int | None = None   # a fixed status (404 for someone else's id)


@dataclass(frozen=True)
class Accepted:
    stored: object = SAME


@dataclass(frozen=True)
class Ignored:
    pass


@dataclass(frozen=True)
class Page:
    """A page that shows the value back, seen by `who`."""
    who: str
    url: str


@dataclass(frozen=True)
class Mail:
    """An e-mail that carries the value: queued by the form itself, or by `trigger(world)`."""
    trigger: Callable | None = None


@dataclass(frozen=True)
class Pdf:
    """A PDF that prints the value: `render(world)` returns its bytes (inside the app)."""
    render: Callable


@dataclass(frozen=True)
class Csv:
    """A CSV export that lists the value: no cell may start like a spreadsheet formula."""
    who: str
    url: str


@dataclass(frozen=True)
class Form:
    name: str
    form_class: str               # the portal form it sends ("query", "route", "webhook": none)
    who: str                      # "anon", "owner", "other", "staff" or "admin"
    url: str                      # formatted with the world's ids
    data: Callable                # world -> a valid submission
    stored: Callable | None = None  # world -> {field: value kept}
    echoes: tuple = ()
    method: str = "POST"
    multipart: bool = False
    follow: bool = False          # refusals are flashed on the page redirected to
    query_fields: tuple = ()      # fields read from the query string of a POST


@dataclass(frozen=True)
class Case:
    form: Form
    field: str
    name: str
    value: object                 # a string, or a callable building a file's bytes
    outcome: object
    filename: str = "fichier.png"
    extra: dict = field(default_factory=dict)  # other fields the value needs
    ids: dict = field(default_factory=dict)    # ids replaced in the URL
    echoes: tuple | None = None                # where it comes back (default: the form's)
    follow: bool | None = None

    @property
    def id(self) -> str:
        return f"{self.form.name}.{self.field}-{self.name}"


# --- Reading the database and the pages -----------------------------------------------------

def snapshot() -> dict[str, list]:
    """Every row of every table, as tuples (inside an app context)."""
    rows = {}
    for table in db.metadata.sorted_tables:
        found = db.session.execute(select(table)).all()
        rows[table.name] = sorted((tuple(row) for row in found), key=repr)
    return rows


def stored_files(app) -> set[str]:
    root = Path(app.config["UPLOAD_ROOT"])
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


def page_text(body: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(body))


PAGE_FOOTER = re.compile(r"\s*\S*\s*Page \d+ / \d+\s*$")


def pdf_text(data: bytes) -> str:
    """The PDF's text, pages joined without their footers ("DEM-2026-00042 Page 1 / 3")."""
    return "".join(PAGE_FOOTER.sub("", page.extract_text() or "")
                   for page in PdfReader(io.BytesIO(data)).pages)


def squash(text: str) -> str:
    """Text without any space or invisible character: what survives line wrapping."""
    return re.sub(r"[\s\x00\u200b-\u200d\u2060\ufeff]+", "", text)


def lines_of(text: str) -> list[str]:
    return [line.strip() for line in str(text).splitlines() if line.strip()]


def shows_escaped(body: str, text: str) -> list[str]:
    """What is wrong with how `body` (HTML) shows `text`: missing, or unescaped."""
    problems = []
    for line in lines_of(text):
        if str(escape(line)) not in body:
            problems.append(f"{line[:60]!r} is not shown escaped")
        if "<" in line and line in body:
            problems.append(f"{line[:60]!r} is shown raw")
    return problems


# --- Judging ---------------------------------------------------------------------------------

# WTForms' own messages, should one show untranslated.
ENGLISH = re.compile(r"\bInvalid\b|[Nn]ot a valid|This field|Field must|could not coerce|"
                     r"must be|is required|Please")


def field_error(body: str, name: str) -> str | None:
    match = re.search(rf'id="{re.escape(name)}-error"[^>]*>(.*?)</div>', body, re.S)
    return page_text(match.group(1)) if match else None


def check_refused(case: Case, response, body: str) -> None:
    outcome, status = case.outcome, response.status_code
    if outcome.status:
        assert status == outcome.status, f"expected {outcome.status}, got {status}"
    else:
        assert status in (200, 422) or 400 <= status < 500, f"got {status}"
    text = page_text(body)
    if status in (200, 422):
        error = field_error(body, case.field)
        if outcome.message:
            assert outcome.message in (error or text), (
                f"message {outcome.message!r} not shown (field error: {error!r})")
        else:
            assert error or "alert-danger" in body, "no error shown"
    english = ENGLISH.search(text)
    assert not english, f"English message shown: {english and english.group()!r}"


def check_no_raw(body: str, value) -> None:
    if isinstance(value, str) and "<" in value:
        assert value.strip() not in body, "the raw value came back unescaped"


def expected(case: Case):
    stored = case.outcome.stored
    if stored is SAME:
        return case.value.strip() if isinstance(case.value, str) else case.value
    return stored


def check_mails(rows: list[OutboxMessage], text: str) -> None:
    """No line break in a subject, the value never raw in an HTML body, and escaped in one."""
    for row in rows:
        assert "\r" not in row.subject and "\n" not in row.subject, row.subject
        if row.body_html:
            assert not [p for p in shows_escaped(row.body_html, text) if "raw" in p], row.kind
    html_rows = [row for row in rows if row.body_html]
    assert any(not shows_escaped(row.body_html, text) for row in html_rows), (
        f"no e-mail shows the value escaped ({[r.kind for r in rows]})")


def drawable(text: str) -> str:
    """The characters DejaVu Sans can draw (the documents' font): an emoji is drawn as the
    font's empty box, and invisible format characters are dropped (pdf.esc)."""
    from reportlab.pdfbase import pdfmetrics

    from portal.proforma.pdf import FONT, register_fonts

    register_fonts()
    glyphs = pdfmetrics.getFont(FONT).face.charToGlyph
    return "".join(char for char in text if ord(char) in glyphs)


def in_order(found: str, text: str) -> bool:
    """Every line of `text` printed, in order (a page break may come between two lines)."""
    position = 0
    for line in lines_of(text):
        position = found.find(squash(drawable(line)), position)
        if position < 0:
            return False
    return True


def check_pdf(data: bytes, text: str) -> None:
    found = squash(pdf_text(data))
    assert squash(drawable(text)) in found or in_order(found, text), (
        f"{text[:60]!r} not printed in the PDF")


# --- Running a case --------------------------------------------------------------------------

def client_for(app, world, who: str):
    """A client logged in as `who` (the session Flask-Login would have made)."""
    client = app.test_client()
    if who not in ("anon", "twilio"):
        with client.session_transaction() as session:
            session["_user_id"] = world.logins[who]
            session["_fresh"] = True
    return client


def resolve(value, world):
    """ "{address}" -> the id of that name in the world; any other value as it is."""
    if isinstance(value, str) and re.fullmatch(r"\{\w+\}", value) and value[1:-1] in world.ids:
        return str(world.ids[value[1:-1]])
    return value


def url_of(template, world, overrides=None) -> str:
    if callable(template):
        return template(world)
    return template.format(**(world.ids | (overrides or {})))


def in_url(case: Case) -> bool:
    return isinstance(case.form.url, str) and f"{{{case.field}}}" in case.form.url


def payload(case: Case, world) -> dict:
    data = case.form.data(world) | {key: case.value if value is SAME else value
                                    for key, value in case.extra.items()}
    value = case.value
    if callable(value):
        value = (io.BytesIO(value()), case.filename)
    elif isinstance(value, list) and value and callable(value[0]):
        value = [(io.BytesIO(build()), case.filename) for build in value]
    if not in_url(case):
        data[case.field] = value
    return {key: resolve(str(v) if isinstance(v, int) else v, world) for key, v in data.items()}


def send(client, case: Case, world):
    form = case.form
    ids = dict(case.ids)
    if in_url(case):
        ids[case.field] = quote(str(resolve(case.value, world)), safe="")
    url = url_of(form.url, world, ids)
    data = payload(case, world)
    query = {key: data.pop(key) for key in form.query_fields if key in data}
    follow = form.follow if case.follow is None else case.follow
    if form.who == "twilio":
        return twilio_posts(client, url, data)
    if form.method == "GET":
        return client.get(url, query_string=data, follow_redirects=follow)
    options = {"content_type": "multipart/form-data"} if form.multipart else {}
    return client.post_form(url, data, query_string=query, follow_redirects=follow, **options)


TWILIO_TOKEN = "hostile-corpus-auth-token"


def twilio_posts(client, path: str, data: dict):
    """POST `data` signed as Twilio signs it for our public URL."""
    config = client.application.config
    signature = RequestValidator(TWILIO_TOKEN).compute_signature(
        config["PUBLIC_BASE_URL"].rstrip("/") + path, data)
    saved, config["TWILIO_AUTH_TOKEN"] = config["TWILIO_AUTH_TOKEN"], TWILIO_TOKEN
    try:
        return client.post(path, data=data, headers={"X-Twilio-Signature": signature})
    finally:
        config["TWILIO_AUTH_TOKEN"] = saved


def last_outbox_id() -> int:
    return db.session.scalar(select(db.func.max(OutboxMessage.id))) or 0


def new_mails(after: int) -> list[OutboxMessage]:
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.id > after)
                                   .order_by(OutboxMessage.id)))


def differences(before: dict, after: dict) -> list[str]:
    return [f"{name}: {len(before[name])} rows -> {len(after[name])}"
            f"{'' if len(before[name]) != len(after[name]) else ' (values changed)'}"
            for name in before if before[name] != after[name]]


def run(app, world, case: Case) -> None:
    client = client_for(app, world, case.form.who)
    with app.app_context():
        before, mails_after = snapshot(), last_outbox_id()
    files_before = stored_files(app)
    response = send(client, case, world)
    body = response.get_data(as_text=True) if response.mimetype.startswith("text") else ""
    assert response.status_code < 500, f"server error {response.status_code}"
    check_no_raw(body, case.value)
    check_no_raw(body, case.filename)
    if isinstance(case.outcome, Accepted):
        check_accepted(app, world, case, response, body, mails_after)
        return
    if isinstance(case.outcome, Ignored):
        check_ignored(app, case, response)
        return
    check_refused(case, response, body)
    with app.app_context():
        assert not differences(before, snapshot()), differences(before, snapshot())
    assert stored_files(app) == files_before, "a file was stored"


def check_ignored(app, case: Case, response) -> None:
    """The value is dropped: a normal answer, a redirect that stays here, the value kept
    nowhere."""
    assert response.status_code < 400, response.status_code
    if isinstance(case.value, str) and len(case.value) > 3 and not case.value.isdigit():
        with app.app_context():
            assert case.value not in repr(snapshot()), "the value was stored"
    location = response.headers.get("Location", "")
    assert not location or location.startswith(("/", "http://localhost/")), location
    assert not location.startswith("//"), location


def check_accepted(app, world, case: Case, response, body: str, mails_after: int) -> None:
    status = response.status_code
    errors = re.findall(r'class="invalid-feedback[^"]*">(.*?)</div>', body, re.S)
    assert status in (200, 204, 302, 303), f"got {status}"
    assert not errors, f"refused: {[page_text(e) for e in errors]}"
    value = expected(case)
    if case.form.stored:
        with app.app_context():
            kept = case.form.stored(world)
        assert kept[case.field] == value, f"stored {kept[case.field]!r}"
    if case.form.method == "GET" and isinstance(value, str):
        assert not shows_escaped(body, value), shows_escaped(body, value)
    if response.mimetype == "application/pdf":
        check_pdf(response.data, value)
    for echo in case.echoes if case.echoes is not None else case.form.echoes:
        check_echo(app, world, echo, value, mails_after)


def check_echo(app, world, echo, value, mails_after: int) -> None:
    if not isinstance(value, str) or not value.strip():
        return
    if isinstance(echo, Page | Csv):
        with app.app_context():
            url = url_of(echo.url, world)
        response = client_for(app, world, echo.who).get(url)
        assert response.status_code == 200, f"{url}: {response.status_code}"
        if isinstance(echo, Csv):
            check_csv(response.get_data(as_text=True), value)
        else:
            problems = shows_escaped(response.get_data(as_text=True), value)
            assert not problems, f"{url}: {problems}"
        return
    with app.app_context():
        if isinstance(echo, Mail):
            if echo.trigger:
                echo.trigger(world)
                db.session.flush()
            check_mails(new_mails(mails_after), value)
        else:
            check_pdf(echo.render(world), value)


def check_csv(text: str, value: str) -> None:
    cells = [cell for row in csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";")
             for cell in row]
    assert any(value.strip() in cell for cell in cells), "not in the CSV"
    assert not [c for c in cells if c.startswith(("=", "+", "-", "@"))], "a formula cell"
