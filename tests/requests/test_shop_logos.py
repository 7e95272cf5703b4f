"""A partner shop may have a logo: any image staff upload becomes a clean PNG shown on the card;
what is not an image is refused in French and nothing changes."""
import io

import pytest
from PIL import Image
from sqlalchemy import select

from portal.extensions import db
from portal.requests.models import PartnerShop
from tests.members.helpers import text_of
from tests.requests.test_shops import SHOP, signed_in


def picture(fmt: str = "JPEG", size=(900, 300)) -> bytes:
    output = io.BytesIO()
    Image.new("RGB", size, "navy").save(output, format=fmt)
    return output.getvalue()


def shop_row(app) -> PartnerShop | None:
    with app.app_context():
        shop = db.session.scalar(select(PartnerShop))
        db.session.expunge_all()
        return shop


def upload(client, url: str, data: bytes, filename: str, **extra):
    form = SHOP | extra | {"logo": (io.BytesIO(data), filename)}
    return client.post_form(url, form, content_type="multipart/form-data")


@pytest.fixture
def staff(app, client):
    return signed_in(app, client, "staff")


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_an_uploaded_logo_is_shown_on_the_shop_card_as_a_small_png(app, staff, fmt):
    response = upload(staff, "/equipe/boutiques/nouvelle", picture(fmt), "logo.img")
    assert response.status_code == 302
    shop = shop_row(app)
    assert shop.logo_key and shop.logo_key.endswith(".png")
    assert f"/boutiques/{shop.id}/logo" in staff.get("/boutiques").get_data(as_text=True)
    served = staff.get(f"/boutiques/{shop.id}/logo")
    assert served.status_code == 200 and served.mimetype == "image/png"
    with Image.open(io.BytesIO(served.data)) as image:
        assert image.format == "PNG" and max(image.size) <= 256


@pytest.mark.parametrize("data, filename", [
    (b"<script>alert(1)</script>", "logo.png"),
    (b"%PDF-1.7\n1 0 obj\n", "logo.jpg"),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "logo.png"),
])
def test_a_file_that_is_not_an_image_is_refused_and_nothing_is_saved(app, staff, data, filename):
    response = upload(staff, "/equipe/boutiques/nouvelle", data, filename)
    assert response.status_code == 200
    assert "Ce fichier n'est pas une image lisible." in text_of(response)
    assert shop_row(app) is None


def test_a_logo_can_be_replaced_and_removed(app, staff):
    upload(staff, "/equipe/boutiques/nouvelle", picture(), "a.jpg")
    shop = shop_row(app)
    upload(staff, f"/equipe/boutiques/{shop.id}", picture("PNG"), "b.png")
    replaced = shop_row(app)
    assert replaced.logo_key != shop.logo_key
    staff.post_form(f"/equipe/boutiques/{shop.id}", SHOP | {"remove_logo": "y"})
    assert shop_row(app).logo_key is None
    assert staff.get(f"/boutiques/{shop.id}/logo").status_code == 404


def test_the_logo_of_a_hidden_shop_is_not_served_to_visitors(app, staff, other_client):
    upload(staff, "/equipe/boutiques/nouvelle", picture(), "a.jpg", is_visible="")
    shop = shop_row(app)
    assert other_client.get(f"/boutiques/{shop.id}/logo").status_code == 404
    assert staff.get(f"/boutiques/{shop.id}/logo").status_code == 200
