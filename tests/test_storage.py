"""Stored files get random keys under UPLOAD_ROOT; images are re-encoded without metadata."""
import io

import pytest
from PIL import Image

from portal import storage
from portal.images import NotAnImage, clean_logo


def jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (800, 400), "orange")
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", (5.0, 20.0, 0.0)  # a latitude
    output = io.BytesIO()
    image.save(output, format="JPEG", exif=exif)
    data = output.getvalue()
    with Image.open(io.BytesIO(data)) as check:
        assert check.getexif().get_ifd(0x8825)  # the sample really carries a position
    return data


@pytest.fixture
def upload_root(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "UPLOAD_ROOT", str(tmp_path))
    with app.app_context():
        yield tmp_path


def test_a_file_is_stored_under_a_random_key_and_read_back(upload_root):
    first = storage.save(b"hello", "logos", "png")
    second = storage.save(b"hello", "logos", "png")
    assert first != second and first.startswith("logos/") and first.endswith(".png")
    assert storage.read(first) == b"hello"
    assert (upload_root / first).is_file()
    storage.delete(first)
    assert not (upload_root / first).exists()


@pytest.mark.parametrize("key", ["../etc/passwd", "/etc/passwd", "logos/../../x", "", "a b"])
def test_keys_cannot_leave_the_upload_root(upload_root, key):
    with pytest.raises(ValueError):
        storage.read(key)


def test_a_logo_is_reencoded_as_a_small_png_without_metadata():
    logo = clean_logo(jpeg_with_gps())
    with Image.open(io.BytesIO(logo)) as image:
        assert image.format == "PNG"
        assert max(image.size) <= 256
        assert not image.getexif()
        assert "exif" not in image.info


@pytest.mark.parametrize("data", [b"", b"GIF89a not really", b"%PDF-1.7\n", b"<svg></svg>",
                                  b"\x89PNG\r\n\x1a\n" + b"\x00" * 100])
def test_what_is_not_an_image_is_refused(data):
    with pytest.raises(NotAnImage):
        clean_logo(data)
