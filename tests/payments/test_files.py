"""Payment proofs: only photos, screenshots and inert PDFs are kept, and images are re-encoded."""
import hashlib
import inspect
import io

import pytest
from PIL import Image, ImageFile
from pypdf import PdfReader
from werkzeug.datastructures import FileStorage

from portal.payments import files
from portal.payments.files import CleanProof, RejectedFile, inspect_proof
from tests.payments import corpus

TEN_MB = 10 * 1024 * 1024


def refusal(data: bytes, max_bytes: int = TEN_MB) -> str:
    with pytest.raises(RejectedFile) as caught:
        inspect_proof(io.BytesIO(data), max_bytes)
    return str(caught.value.message)


def accepted(data: bytes, max_bytes: int = TEN_MB) -> CleanProof:
    proof = inspect_proof(io.BytesIO(data), max_bytes)
    assert proof.sha256 == hashlib.sha256(data).hexdigest()
    return proof


def reopened(proof: CleanProof) -> Image.Image:
    image = Image.open(io.BytesIO(proof.data))
    image.load()
    return image


def assert_no_metadata(proof: CleanProof) -> None:
    image = reopened(proof)
    assert not image.getexif()
    assert not set(image.info) & {"exif", "xmp", "icc_profile", "comment", "XML:com.adobe.xmp"}
    for marker in (b"Exif", b"GPS", b"PhoneMaker", b"xmpmeta", b"<?php"):
        assert marker not in proof.data


# ---- refused ----------------------------------------------------------------------------------

@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
@pytest.mark.parametrize("case", corpus.HOSTILE, ids=lambda case: case.name)
def test_each_hostile_file_is_refused_with_its_message(case):
    assert refusal(case.build()) == case.message


@pytest.mark.parametrize("case", corpus.ACTIVE_PDFS, ids=lambda case: case.name)
def test_the_object_walk_alone_finds_active_content(case):
    """The raw byte scan is only a second line: the walk must see everything by itself."""
    reader = PdfReader(io.BytesIO(case.build()), strict=False)
    assert files._active_objects(reader)


def test_the_raw_scan_sees_plain_names_but_not_inside_streams():
    assert files._active_names_in_raw_bytes(corpus.pdf_open_action_javascript())
    assert files._active_names_in_raw_bytes(corpus.pdf_embedded_file())
    assert not files._active_names_in_raw_bytes(corpus.benign_pdf_with_links())
    assert not files.ACTIVE_NAME.search(b"<< /JSONData 1 /Launcher 2 >>")


def test_a_file_one_byte_over_the_limit_is_refused():
    data = corpus.padded_pdf(1001)
    assert accepted(data, max_bytes=1001).data == data
    assert refusal(data, max_bytes=1000) == "Le fichier dépasse 0.1 Mo."


def test_the_limit_is_given_in_megabytes():
    assert refusal(bytes(TEN_MB + 1)) == "Le fichier dépasse 10 Mo."


def test_no_more_than_the_limit_plus_one_byte_is_read():
    stream = io.BytesIO(bytes(5000))
    with pytest.raises(RejectedFile):
        inspect_proof(stream, 1000)
    assert stream.tell() == 1001


def test_a_truncated_file_stays_refused_even_if_someone_relaxed_pillow(monkeypatch):
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)
    assert refusal(corpus.truncated_jpeg()) == corpus.UNREADABLE


# ---- accepted images --------------------------------------------------------------------------

def test_a_phone_photo_loses_its_gps_position_and_every_other_metadata():
    original = corpus.jpeg_with_gps()
    with Image.open(io.BytesIO(original)) as check:  # the sample really carries a position
        assert check.getexif().get_ifd(0x8825)
    proof = accepted(original)
    assert (proof.kind, proof.content_type, proof.extension) == ("image", "image/jpeg", "jpg")
    assert (proof.width, proof.height, proof.pages) == (800, 600, None)
    assert reopened(proof).format == "JPEG"
    assert_no_metadata(proof)


def test_a_rotated_photo_comes_out_upright():
    proof = accepted(corpus.jpeg_rotated())
    assert (proof.width, proof.height) == (300, 600)
    assert reopened(proof).size == (300, 600)
    assert_no_metadata(proof)


def test_a_png_keeps_its_transparency():
    proof = accepted(corpus.png_with_alpha())
    assert (proof.content_type, proof.extension) == ("image/png", "png")
    image = reopened(proof)
    assert image.mode == "RGBA"
    assert image.getpixel((0, 0))[3] == 0 and image.getpixel((100, 100)) == (0, 128, 0, 255)


def test_a_png_with_a_php_tail_is_kept_without_the_tail():
    proof = accepted(corpus.png_with_php_tail())
    assert proof.content_type == "image/png"
    assert corpus.PHP_TAIL not in proof.data and b"<?php" not in proof.data
    assert proof.data.endswith(b"IEND\xaeB`\x82")


def test_a_16_bit_grey_png_keeps_its_shades():
    image = reopened(accepted(corpus.png_16_bit_grey()))
    top, bottom = image.getpixel((0, 0)), image.getpixel((0, 99))
    assert top[0] < 10 and bottom[0] > 245


def test_an_animated_png_is_kept_as_its_first_frame():
    proof = accepted(corpus.animated_png())
    image = reopened(proof)
    assert proof.content_type == "image/png" and getattr(image, "n_frames", 1) == 1
    assert image.getpixel((0, 0)) == (255, 0, 0) and b"acTL" not in proof.data


def test_a_webp_screenshot_is_stored_as_jpeg():
    proof = accepted(corpus.webp())
    assert (proof.content_type, proof.width, proof.height) == ("image/jpeg", 640, 480)
    assert reopened(proof).format == "JPEG"


def test_a_heic_photo_is_stored_as_jpeg_without_metadata():
    try:
        original = corpus.heic()
    except (RuntimeError, ValueError, OSError) as error:
        pytest.skip(f"this libheif cannot encode HEIC here: {error}")
    proof = accepted(original)
    assert (proof.content_type, proof.width, proof.height) == ("image/jpeg", 640, 480)
    assert_no_metadata(proof)


def test_a_large_photo_is_reduced_to_2500_pixels():
    proof = accepted(corpus.large_jpeg())
    assert (proof.width, proof.height) == (2500, 1875)
    assert reopened(proof).size == (2500, 1875)


# ---- accepted PDFs ----------------------------------------------------------------------------

@pytest.mark.parametrize("build", [corpus.blank_pdf, corpus.reportlab_pdf, corpus.benign_pdf_with_links,
                                   lambda: corpus.blank_pdf(50)],
                         ids=["pypdf_blank", "reportlab", "links_and_destination", "fifty_pages"])
def test_an_inert_pdf_is_kept_exactly_as_sent(build):
    original = build()
    proof = accepted(original)
    assert proof.data == original
    assert (proof.kind, proof.content_type, proof.extension) == ("pdf", "application/pdf", "pdf")
    assert proof.pages == len(PdfReader(io.BytesIO(original)).pages)
    assert (proof.width, proof.height) == (None, None)


# ---- names never matter -----------------------------------------------------------------------

def test_the_file_name_is_not_even_a_parameter():
    assert list(inspect.signature(inspect_proof).parameters) == ["stream", "max_bytes"]


def test_what_the_browser_claims_is_ignored():
    lying = FileStorage(io.BytesIO(corpus.png_with_alpha()), filename="virement.exe",
                        content_type="application/x-msdownload")
    assert inspect_proof(lying.stream, TEN_MB).content_type == "image/png"
    html = FileStorage(io.BytesIO(corpus.html_named_png()), filename="recu.png",
                       content_type="image/png")
    with pytest.raises(RejectedFile):
        inspect_proof(html.stream, TEN_MB)


def test_the_same_file_sent_twice_has_the_same_digest():
    data = corpus.jpeg_with_gps()
    assert accepted(data).sha256 == accepted(data).sha256 == hashlib.sha256(data).hexdigest()


def test_a_stream_that_gives_a_few_bytes_at_a_time_is_read_whole():
    class Trickle(io.BytesIO):
        def read(self, size=-1):
            return super().read(min(size, 7) if size and size > 0 else 7)

    data = corpus.png_with_alpha()
    assert inspect_proof(Trickle(data), TEN_MB).sha256 == hashlib.sha256(data).hexdigest()


def test_a_proof_is_frozen():
    proof = accepted(corpus.blank_pdf())
    with pytest.raises(AttributeError):
        proof.data = b"other"
