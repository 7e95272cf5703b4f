"""Which uploaded files can be kept as a payment proof, and the cleaned copy that is stored.

Members send proofs from their phones: a photo of a receipt (JPEG, HEIC/HEIF), a screenshot of a
transfer (PNG, WebP, JPEG) or a bank's PDF. Nothing else is accepted, and the type is decided
from the content only (magic numbers), never from the file name or the type the browser claims.

- Images are opened by Pillow with a pixel cap (decompression bombs refused), verified, fully
  decoded (a truncated file is refused), turned upright from their EXIF orientation, reduced to
  2 500 px on the long side and re-encoded: JPEG for photos (JPEG, HEIC, WebP), PNG for PNG
  (only the first frame of an animated PNG or WebP is kept).
  Nothing but pixels survives: no EXIF (GPS position, phone model), no comment, no ICC, and no
  bytes hidden after the image (a script appended to a PNG is left behind).
- PDFs cannot be re-encoded without losing what staff need to read, so they are kept as sent,
  but only if pypdf can read them, they are not encrypted, have at most 50 pages, and carry no
  active content: no JavaScript, launch, import or submit action, no embedded or attached file,
  no XFA form, no rich media. Every object reachable from the trailer is walked (names are
  decoded by pypdf, so `/J#61vaScript` is caught too), and the raw bytes outside streams are
  scanned for the same names as a second line.

`sha256` is the digest of the bytes as uploaded, so the same file sent twice is recognised.
"""
import hashlib
import io
import re
from dataclasses import dataclass

import filetype
import pillow_heif
from flask_babel import lazy_gettext as _l
from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

MAX_PIXELS = 40_000_000
MAX_SIDE = 2500
JPEG_QUALITY = 85
MAX_PDF_PAGES = 50
MAX_PDF_OBJECTS = 200_000

# Sniffed type → Pillow format (None for PDF).
ACCEPTED = {
    "image/jpeg": "JPEG",
    "image/png": "PNG",
    "image/apng": "PNG",  # an animated PNG: its first frame is kept
    "image/webp": "WEBP",
    "image/heic": "HEIF",
    "application/pdf": None,
}

DANGEROUS_ACTIONS = {"/JavaScript", "/Launch", "/ImportData", "/SubmitForm", "/GoToR", "/GoToE",
                     "/Rendition", "/RichMediaExecute", "/Movie", "/Sound"}
DANGEROUS_KEYS = {"/JS", "/JavaScript", "/EmbeddedFiles", "/EF", "/XFA", "/RichMediaContent"}
DANGEROUS_SUBTYPES = {"/FileAttachment", "/RichMedia", "/Screen", "/Movie", "/Sound", "/3D"}
ACTIVE_NAME = re.compile(rb"/(?:JavaScript|JS|Launch|EmbeddedFiles?)(?![A-Za-z0-9])")

NOT_ACCEPTED = _l("Ce type de fichier n'est pas accepté : envoyez une photo (JPEG, PNG, WebP, HEIC) "
                  "ou un PDF.")
EMPTY = _l("Le fichier est vide.")
IMAGE_TOO_LARGE = _l("Cette image est trop grande.")
IMAGE_UNREADABLE = _l("Cette image est illisible ou incomplète.")
PDF_UNREADABLE = _l("Ce PDF est illisible.")
PDF_ENCRYPTED = _l("Les PDF protégés par un mot de passe ne sont pas acceptés.")
PDF_ACTIVE = _l("Ce PDF contient du contenu actif (script, pièce jointe…) : envoyez une capture "
                "d'écran à la place.")
PDF_TOO_LONG = _l("Ce PDF a trop de pages.")

pillow_heif.register_heif_opener()


class RejectedFile(Exception):
    """The file cannot be kept; `message` says why, in words for the member."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class CleanProof:
    data: bytes
    content_type: str
    extension: str
    sha256: str
    kind: str
    width: int | None = None
    height: int | None = None
    pages: int | None = None


def inspect_proof(stream, max_bytes: int) -> CleanProof:
    """The cleaned proof made from `stream`; raise RejectedFile for anything refused."""
    data = _read_capped(stream, max_bytes)
    mime = _sniff(data)
    digest = hashlib.sha256(data).hexdigest()
    if mime == "application/pdf":
        pages = _check_pdf(data)
        return CleanProof(data, "application/pdf", "pdf", digest, "pdf", pages=pages)
    clean, target, (width, height) = _clean_image(data, ACCEPTED[mime])
    content_type, extension = ("image/png", "png") if target == "PNG" else ("image/jpeg", "jpg")
    return CleanProof(clean, content_type, extension, digest, "image", width=width, height=height)


# ---- size and type ----------------------------------------------------------------------------

def _read_capped(stream, max_bytes: int) -> bytes:
    """At most max_bytes + 1 bytes: enough to know the file is too large without reading it all."""
    chunks, size = [], 0
    while size <= max_bytes:
        chunk = stream.read(max_bytes + 1 - size)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    if size > max_bytes:
        raise RejectedFile(_l("Le fichier dépasse %(size)s Mo.", size=_megabytes(max_bytes)))
    if size == 0:
        raise RejectedFile(EMPTY)
    return b"".join(chunks)


def _megabytes(max_bytes: int) -> str:
    """10485760 → "10"; smaller limits keep one decimal (never "0")."""
    value = max(round(max_bytes / (1024 * 1024), 1), 0.1)
    return f"{value:g}"


def _sniff(data: bytes) -> str:
    kind = filetype.guess(data)
    mime = kind.mime if kind else None
    if mime not in ACCEPTED or (mime == "application/pdf" and not data.startswith(b"%PDF-")):
        raise RejectedFile(NOT_ACCEPTED)
    return mime


# ---- images -----------------------------------------------------------------------------------

def _clean_image(data: bytes, source_format: str) -> tuple[bytes, str, tuple[int, int]]:
    """The re-encoded bytes, their Pillow format and their size (width, height)."""
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    ImageFile.LOAD_TRUNCATED_IMAGES = False  # a cut-off upload must fail, not be padded with grey
    target = "PNG" if source_format == "PNG" else "JPEG"
    try:
        _verify(data, source_format)
        with Image.open(io.BytesIO(data), formats=[source_format]) as image:
            image.load()
            clean, size = _reencode(image, target)
    except Image.DecompressionBombError as error:
        raise RejectedFile(IMAGE_TOO_LARGE) from error
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError, IndexError,
            KeyError, TypeError) as error:
        raise RejectedFile(IMAGE_UNREADABLE) from error
    return clean, target, size


def _verify(data: bytes, source_format: str) -> None:
    """Check the size from the header, then Pillow's verify(), before decoding any pixel."""
    with Image.open(io.BytesIO(data), formats=[source_format]) as probe:
        if probe.width * probe.height > MAX_PIXELS:
            raise RejectedFile(IMAGE_TOO_LARGE)
        probe.verify()


def _reencode(image: Image.Image, target: str) -> tuple[bytes, tuple[int, int]]:
    # In place, and conversions only when the mode differs: a 40-megapixel photo is 120 MB of
    # pixels, and each needless copy costs that much again at the upload's peak.
    ImageOps.exif_transpose(image, in_place=True)
    upright = _eight_bit(image)
    pixels = _rgba_or_rgb(upright) if target == "PNG" else _rgb(upright)
    pixels.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    pixels.info = {}  # no EXIF, ICC, comment or text chunk is carried over
    output = io.BytesIO()
    if target == "PNG":
        pixels.save(output, format="PNG", optimize=True)
    else:
        pixels.save(output, format="JPEG", quality=JPEG_QUALITY, optimize=True)
    return output.getvalue(), pixels.size


def _eight_bit(image: Image.Image) -> Image.Image:
    """16-bit greyscale (PNG) scaled down: a plain conversion would clip it to white."""
    if image.mode not in ("I", "I;16", "I;16B", "I;16L", "I;16N"):
        return image
    return image.convert("I").point(lambda value: value * (1 / 256)).convert("L")


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info


def _in_mode(image: Image.Image, mode: str) -> Image.Image:
    return image if image.mode == mode else image.convert(mode)


def _rgba_or_rgb(image: Image.Image) -> Image.Image:
    return _in_mode(image, "RGBA" if _has_alpha(image) else "RGB")


def _rgb(image: Image.Image) -> Image.Image:
    """RGB for JPEG; transparent parts become white rather than black."""
    if not _has_alpha(image):
        return _in_mode(image, "RGB")
    rgba = image.convert("RGBA")
    flat = Image.new("RGB", rgba.size, "white")
    flat.paste(rgba, mask=rgba.getchannel("A"))
    return flat


# ---- PDFs -------------------------------------------------------------------------------------

def _check_pdf(data: bytes) -> int:
    """The number of pages of an acceptable PDF; raise RejectedFile otherwise."""
    reader = _open_pdf(data)
    if reader.is_encrypted:
        raise RejectedFile(PDF_ENCRYPTED)
    if _active_names_in_raw_bytes(data):
        raise RejectedFile(PDF_ACTIVE)
    pages = _page_count(reader)
    if _active_objects(reader):
        raise RejectedFile(PDF_ACTIVE)
    return pages


def _open_pdf(data: bytes) -> PdfReader:
    try:
        return PdfReader(io.BytesIO(data), strict=False)
    except Exception as error:  # pypdf raises many kinds on broken input
        raise RejectedFile(PDF_UNREADABLE) from error


def _page_count(reader: PdfReader) -> int:
    try:
        pages = len(reader.pages)
    except Exception as error:
        raise RejectedFile(PDF_UNREADABLE) from error
    if pages == 0:
        raise RejectedFile(PDF_UNREADABLE)
    if pages > MAX_PDF_PAGES:
        raise RejectedFile(PDF_TOO_LONG)
    return pages


def _active_objects(reader: PdfReader) -> bool:
    try:
        return any(_is_active(obj) for obj in _reachable_dictionaries(reader.trailer))
    except RejectedFile:
        raise
    except Exception as error:
        raise RejectedFile(PDF_UNREADABLE) from error


def _reachable_dictionaries(root):
    """Every dictionary (streams included, without decoding them) reachable from root."""
    seen, stack, visited = set(), [root], 0
    while stack:
        obj = stack.pop()
        if isinstance(obj, IndirectObject):
            if (obj.idnum, obj.generation) in seen:
                continue
            seen.add((obj.idnum, obj.generation))
            obj = obj.get_object()
        visited += 1
        if visited > MAX_PDF_OBJECTS:
            raise RejectedFile(PDF_UNREADABLE)
        if isinstance(obj, DictionaryObject):
            yield obj
            stack.extend(dict.values(obj))
        elif isinstance(obj, ArrayObject):
            stack.extend(obj)


def _is_active(obj: DictionaryObject) -> bool:
    return (
        any(key in DANGEROUS_KEYS for key in obj)
        or _name(obj, "/S") in DANGEROUS_ACTIONS
        or _name(obj, "/Subtype") in DANGEROUS_SUBTYPES
        or _name(obj, "/Type") == "/EmbeddedFile"
    )


def _name(obj: DictionaryObject, key: str):
    value = obj.get(key)
    return value if isinstance(value, str) else None


def _active_names_in_raw_bytes(data: bytes) -> bool:
    return ACTIVE_NAME.search(_outside_streams(data)) is not None


def _outside_streams(data: bytes) -> bytes:
    """The file without its stream bodies, where three random compressed bytes can spell "/JS"."""
    parts, position = [], 0
    while (start := data.find(b"stream", position)) != -1:
        end = data.find(b"endstream", start + len(b"stream"))
        if end == -1:
            break
        parts.append(data[position:start])
        position = end + len(b"endstream")
    parts.append(data[position:])
    return b"".join(parts)
