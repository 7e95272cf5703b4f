"""How long a 30-line proforma and a 30-line final invoice take to render: reportlab (what the
portal uses) against the same document as HTML rendered by WeasyPrint (the yardstick).

    python bench/pdf.py        (from the project root; `make bench` installs WeasyPrint first)
"""
import io
import os
import platform
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the project root, never portal/ itself

from babel.dates import format_date  # noqa: E402
from PIL import Image  # noqa: E402

from portal import create_app, storage  # noqa: E402
from portal.links import short_url  # noqa: E402
from portal.money import format_money  # noqa: E402
from portal.proforma.pdf import (  # noqa: E402
    esc,
    invoice_totals,
    proforma_totals,
    render_invoice,
    render_proforma,
)
from tests.proforma.test_invoice_pdf import invoice_snapshot  # noqa: E402
from tests.proforma.test_pdf import sample_snapshot  # noqa: E402

RUNS, WARM_UPS, LINES = 30, 3, 30
FONTS = ROOT / "portal" / "fonts"


def timings(render, runs: int = RUNS) -> list[float]:
    """Milliseconds per call, after a few calls that are not counted."""
    for _ in range(WARM_UPS):
        render()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        render()
        times.append((time.perf_counter() - start) * 1000)
    return times


def summary(name: str, times: list[float]) -> float:
    median = statistics.median(times)
    p90 = statistics.quantiles(times, n=10)[-1]
    print(f"{name:<12} median {median:7.1f} ms   p90 {p90:7.1f} ms   ({len(times)} runs)")
    return median


def _money(doc: dict, minor: int) -> str:
    return format_money(minor, doc["currency"], doc["locale"])


def _day(doc: dict, iso: str) -> str:
    return format_date(date.fromisoformat(iso), "long", locale=doc["locale"])


def _totals_html(doc: dict, rows) -> str:
    """The totals block; a row without an amount is a small heading (an invoice's payments)."""
    return "".join(f"<tr><td colspan=2><small>{esc(label)}</small></td></tr>" if value is None
                   else f"<tr><td>{'<b>' if strong else ''}{esc(label)}</td>"
                        f"<td class=n>{_money(doc, value)}</td></tr>"
                   for label, value, strong in rows)


def _methods_html(doc: dict) -> str:
    methods = "".join(f"<p><b>{esc(method['name'])}</b><br>{esc(method['instructions'])}</p>"
                      for method in doc["payment_methods"])
    return f"<h3>Modalités de paiement</h3>{methods}"


def _page_html(doc: dict, logo: Path, title: str, header: list[str], totals: str,
               tail: str) -> str:
    """The blocks every document has (header, parties, lines, totals), as HTML with a little
    inline CSS, then `tail`."""
    company, customer = doc["company"], doc["customer"]
    identifiers = " · ".join(esc(f"{name} : {value}") for name, value in company["identifiers"])
    lines = "".join(
        f"<tr><td><b>{esc(line['name'])}</b> <small>{esc(line['details'])}</small><br>"
        f"<small>{esc(short_url(line['url']))}</small></td><td>{line['quantity']}</td>"
        f"<td class=n>{_money(doc, line['unit_price'])}</td>"
        f"<td class=n>{_money(doc, line['total'])}</td></tr>"
        for line in doc["lines"])
    return f"""<!doctype html><html lang="fr"><head><meta charset="utf-8"><style>
@font-face {{ font-family: DV; src: url("{(FONTS / 'DejaVuSans.ttf').as_uri()}"); }}
@font-face {{ font-family: DV; font-weight: bold;
             src: url("{(FONTS / 'DejaVuSans-Bold.ttf').as_uri()}"); }}
@page {{ size: A4; margin: 12mm 16mm 15mm;
        @bottom-right {{ content: "Page " counter(page) " / " counter(pages); font: 7.5pt DV; }} }}
body {{ font: 9pt DV; }} h1 {{ text-align: right; color: #1f3a5f; }} small {{ color: #5b6570; }}
table {{ width: 100%; border-collapse: collapse; }} th {{ background: #1f3a5f; color: white; }}
td {{ border-bottom: .4pt solid #c9d1da; vertical-align: top; }} .n {{ text-align: right; }}
.box {{ border: .8pt solid #1f3a5f; text-align: center; font-weight: bold; }}
</style></head><body>
<img src="{logo.as_uri()}" style="max-width: 40mm; max-height: 18mm">
<h1>{title}</h1><p>{"<br>".join(header)}</p>
<p><b>{esc(company['name'])}</b><br>{esc(company['address'])}<br>{esc(company['phone'])}<br>
{esc(company['email'])}<br><small>{identifiers}</small></p>
<p><b>{esc(customer['name'])}</b><br>{esc(customer['company_name'])}<br>
{esc(customer['address'])}<br>{esc(customer['email'])} · {esc(customer['phone'])}</p>
<p>Retrait au point de collecte : {esc(doc['delivery']['pickup_point'])}</p>
<table><tr><th>Article</th><th>Qté</th><th>Prix unitaire</th><th>Total</th></tr>{lines}</table>
<table style="width: 60%; margin-left: 40%">{totals}</table>
{tail}<p><small>{esc(company['legal_mentions'])}</small></p></body></html>"""


def proforma_html(doc: dict, logo: Path) -> str:
    """The proforma's blocks as HTML: the same content as its PDF."""
    unavailable = "".join(f"<tr><td>{esc(line['name'])}</td><td>{line['quantity']}</td>"
                          f"<td>{esc(line['reason'])}</td></tr>" for line in doc["unavailable"])
    header = [f"<b>{esc(doc['number'])} — version {doc['version']}</b>",
              f"Commande : {esc(doc['reference'])}",
              f"Date d'émission : {_day(doc, doc['issued_on'])}",
              f"Valable jusqu'au {_day(doc, doc['valid_until'])}"]
    tail = (f"<h3>Articles indisponibles</h3><table>{unavailable}</table>{_methods_html(doc)}"
            f"<h3>Message de notre équipe</h3><p>{esc(doc['message'])}</p>"
            "<p class=box>Ce document est une proforma : il ne s'agit pas d'une facture.</p>")
    return _page_html(doc, logo, "PROFORMA", header, _totals_html(doc, proforma_totals(doc)),
                      tail)


def invoice_html(doc: dict, logo: Path) -> str:
    """The final invoice's blocks as HTML: the same content as its PDF (payments received,
    balance due, how to pay it)."""
    header = [f"<b>{esc(doc['number'])}</b>", f"Commande : {esc(doc['reference'])}",
              f"Proforma {esc(doc['proforma'])}",
              f"Date d'émission : {_day(doc, doc['issued_on'])}"]
    tail = (f"{_methods_html(doc) if doc['balance_due'] > 0 else ''}"
            f"<h3>Message de notre équipe</h3><p>{esc(doc.get('message') or '')}</p>")
    return _page_html(doc, logo, "FACTURE", header, _totals_html(doc, invoice_totals(doc)),
                      tail)


def main() -> None:
    print(f"{platform.platform()} · {platform.processor() or platform.machine()} · "
          f"{os.cpu_count()} CPU · Python {platform.python_version()}")
    with tempfile.TemporaryDirectory() as uploads:
        app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://",
                          "UPLOAD_ROOT": uploads})
        with app.app_context():
            png = io.BytesIO()
            Image.new("RGB", (300, 100), (31, 58, 95)).save(png, "PNG")
            doc = sample_snapshot(lines=LINES)
            doc["company"]["logo_key"] = storage.save(png.getvalue(), "logos", "png")
            logo = Path(uploads) / doc["company"]["logo_key"]
            print(f"{LINES}-line proforma, {len(render_proforma(doc))} bytes (reportlab)")
            reportlab = summary("reportlab", timings(lambda: render_proforma(doc)))
            compare_with_weasyprint(proforma_html(doc, logo), reportlab)
            invoice = invoice_snapshot(lines=LINES)
            invoice["company"]["logo_key"] = doc["company"]["logo_key"]
            print(f"{LINES}-line invoice, {len(render_invoice(invoice))} bytes (reportlab)")
            reportlab = summary("reportlab", timings(lambda: render_invoice(invoice)))
            compare_with_weasyprint(invoice_html(invoice, logo), reportlab)


def compare_with_weasyprint(html: str, reportlab: float) -> None:
    """Time the HTML version with WeasyPrint, when it can be imported, and print the ratio."""
    try:
        from weasyprint import HTML
    except (ImportError, OSError) as error:
        print(f"WeasyPrint cannot be imported here ({error}); no comparison.")
        return
    weasy = summary("WeasyPrint", timings(
        lambda: HTML(string=html, base_url=str(ROOT)).write_pdf()))
    print(f"WeasyPrint / reportlab: {weasy / reportlab:.1f}×")


if __name__ == "__main__":
    main()
