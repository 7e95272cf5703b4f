"""A 10 MB payment proof sent to the real app under gunicorn (one worker, the production
configuration otherwise): the worker's peak memory (VmHWM) before and after each upload,
beside the file's size; then the same upload in this process under tracemalloc, which counts
the Python objects (bytes copies) but not Pillow's pixel buffers.

    python bench/upload.py [--megabytes 10] [--database-url URL]

Two files: a PDF (kept as sent once checked) and a JPEG photo (decoded and re-encoded). Each
goes against a quoted order of the benchmark agency whose proforma can still be paid.
"""
import argparse
import io
import os
import re
import sys
import time
import tracemalloc
from pathlib import Path

import requests

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import database_url, make_app, print_machine  # noqa: E402
from bench.load import CSRF, log_in, start_server, stop_server  # noqa: E402

MB = 1_000_000
METHOD = re.compile(r'<option[^>]*value="([1-9]\d*)"')
ERROR = re.compile(r'class="invalid-feedback[^"]*"[^>]*>([^<]+)<')


def big_pdf(size: int) -> bytes:
    """A valid PDF of about `size` bytes: one page showing a grey image of random pixels."""
    side = int((size - 1000) ** 0.5)
    pixels = os.urandom(side * side)
    drawing = b"q 595 0 0 842 0 0 cm /Im1 Do Q"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /XObject << /Im1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray "
        b"/BitsPerComponent 8 /Length %d >>\nstream\n%s\nendstream" % (side, side, len(pixels),
                                                                      pixels),
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(drawing), drawing),
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n%s\nendobj\n" % (number, body))
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    out.write(b"".join(b"%010d 00000 n \n" % offset for offset in offsets))
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n"
              % (len(objects) + 1, xref))
    return out.getvalue()


def big_jpeg(size: int) -> bytes:
    """A noisy photo saved as JPEG, grown until it weighs about `size` bytes."""
    from PIL import Image

    side = 1500
    while True:
        image = Image.frombytes("RGB", (side, side * 3 // 4), os.urandom(side * side * 9 // 4))
        out = io.BytesIO()
        image.save(out, "JPEG", quality=90)
        if out.tell() >= size * 0.9 or side > 6000:
            return out.getvalue()
        side = int(side * (size / out.tell()) ** 0.5) + 16


def pixels(data: bytes) -> str:
    from PIL import Image

    with Image.open(io.BytesIO(data)) as image:
        return f"{image.width}x{image.height}"


def payable_orders(count: int) -> list[tuple[str, int]]:
    """(member e-mail, order id) of quoted orders whose proforma is still valid (app ctx)."""
    from sqlalchemy import select

    from portal.extensions import db
    from portal.members.models import User
    from portal.proforma.models import Proforma
    from portal.requests.models import Order
    from portal.staff.models import agency_today

    rows = db.session.execute(
        select(User.email, Order.id).join(Order, Order.user_id == User.id)
        .join(Proforma, Proforma.order_id == Order.id)
        .where(Order.status == "quoted", Proforma.valid_until >= agency_today(),
               User.confirmed_at.is_not(None))
        .order_by(Order.id.desc()).limit(count)).all()
    return [tuple(row) for row in rows]


def proof_form(session, base: str, order_id: int) -> dict:
    page = session.get(f"{base}/commandes/{order_id}/paiement", timeout=30).text
    return {"csrf_token": CSRF.search(page).group(1), "amount_paid": "10",
            "method_id": METHOD.search(page).group(1),
            "paid_on": time.strftime("%Y-%m-%d"), "transaction_ref": f"BENCH-{order_id}",
            "comment": ""}


def memory_kib(pid: int, field: str) -> int:
    """VmRSS (now) or VmHWM (the peak so far) of a process, in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def worker_pids(master: int) -> list[int]:
    children = Path(f"/proc/{master}/task/{master}/children")
    return [int(pid) for pid in children.read_text().split()] if children.exists() else []


def upload_to_server(base: str, master: int, target, name: str, data: bytes,
                     content_type: str) -> None:
    from bench.agency import BENCH_PASSWORD

    session = requests.Session()
    log_in(session, base, target[0], BENCH_PASSWORD)
    form = proof_form(session, base, target[1])
    before = {pid: memory_kib(pid, "VmRSS") for pid in worker_pids(master)}
    started = time.perf_counter()
    response = session.post(f"{base}/commandes/{target[1]}/paiement", data=form,
                            files={"file": (name, data, content_type)}, allow_redirects=False,
                            timeout=120)
    seconds = time.perf_counter() - started
    if response.status_code != 302:
        print("    refused:", ERROR.findall(response.text) or response.text[:300])
    after = {pid: memory_kib(pid, "VmHWM") for pid in worker_pids(master)}
    grown = max((after[pid] - before.get(pid, after[pid]) for pid in after), default=0)
    print(f"  {name}: {len(data) / MB:.1f} MB, answer {response.status_code} in "
          f"{seconds:.2f} s; worker peak RSS {max(after.values()) / 1024:.0f} MiB "
          f"(+{grown / 1024:.0f} MiB over its resting RSS)")


def upload_in_process(app, target, name: str, data: bytes, content_type: str) -> None:
    from bench.agency import BENCH_PASSWORD
    from tests.conftest import PortalClient

    app.test_client_class = PortalClient
    client = app.test_client()
    client.post_form("/connexion", {"email": target[0], "password": BENCH_PASSWORD})
    page = client.get(f"/commandes/{target[1]}/paiement").get_data(as_text=True)
    form = {"csrf_token": CSRF.search(page).group(1), "amount_paid": "10",
            "method_id": METHOD.search(page).group(1), "paid_on": time.strftime("%Y-%m-%d"),
            "transaction_ref": f"BENCH-{target[1]}", "file": (io.BytesIO(data), name,
                                                               content_type)}
    tracemalloc.start()
    response = client.post(f"/commandes/{target[1]}/paiement", data=form,
                           content_type="multipart/form-data")
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    if response.status_code != 302:
        print("    refused:", ERROR.findall(response.get_data(as_text=True))
              or response.get_data(as_text=True)[:300])
    print(f"  {name}: {len(data) / MB:.1f} MB, answer {response.status_code}; Python "
          f"allocations peak at {peak / MB:.1f} MB ({peak / len(data):.1f}× the file), "
          "request body included")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--megabytes", type=float, default=10)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args(argv)
    url = database_url(args.database_url)
    print_machine(url)
    size = int(args.megabytes * MB)
    photo = big_jpeg(size)
    files = [("releve.pdf", big_pdf(size), "application/pdf"),
             (f"photo-{pixels(photo)}.jpg", photo, "image/jpeg")]
    app = make_app(url, MAX_CONTENT_LENGTH=max(size * 11 // 10, 10 * 1024 * 1024))
    with app.app_context():
        targets = payable_orders(2 * len(files))
        from portal.extensions import db

        db.session.remove()
        db.engine.dispose()
    if len(targets) < 2 * len(files):
        sys.exit("Not enough quoted orders with a valid proforma: run bench/agency.py first.")
    os.environ["WEB_CONCURRENCY"] = "1"  # one worker: its memory is the one measured
    process, base = start_server(url)
    print("Under gunicorn (1 worker):")
    try:
        for (name, data, kind), target in zip(files, targets, strict=False):
            upload_to_server(base, process.pid, target, name, data, kind)
    finally:
        stop_server(process)
    print("In this process (tracemalloc):")
    for (name, data, kind), target in zip(files, targets[len(files):], strict=True):
        upload_in_process(app, target, name, data, kind)  # each request has its own context


if __name__ == "__main__":
    main()
