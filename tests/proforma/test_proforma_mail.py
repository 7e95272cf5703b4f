"""The proforma reaches the member through a real SMTP server on loopback, PDF attached."""
import io

from pypdf import PdfReader

from tests.proforma.conftest import MEMBER, quote_fields


def test_the_member_receives_the_proforma_mail_with_the_pdf_attached(app, smtp, staff_client,
                                                                      request_order, agency):
    response = staff_client.post_form(f"/equipe/commandes/{request_order.id}/proforma",
                                      quote_fields(request_order, agency))
    assert response.status_code == 302
    [message] = smtp.to(MEMBER)
    assert message["Subject"].startswith("Votre proforma PF-")
    [attachment] = list(message.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename().endswith("-v1.pdf")
    pdf = PdfReader(io.BytesIO(attachment.get_content()))
    text = "\n".join(page.extract_text() for page in pdf.pages)
    assert "DEM-2026-00042" in text and "Crème hydratante Éclat" in text
    body = message.get_body(preferencelist=("plain",)).get_content()
    assert "Bonjour Hélène Kouassi-N'Guessan," in body
    assert f"/commandes/{request_order.id}" in body


def test_a_revision_mail_says_it_replaces_the_previous_version(app, smtp, staff_client,
                                                               request_order, agency):
    for base in ("0", "1"):
        staff_client.post_form(f"/equipe/commandes/{request_order.id}/proforma",
                               quote_fields(request_order, agency, base_version=base))
    first, second = smtp.to(MEMBER)
    assert "révisée (version 2)" in second["Subject"]
    body = second.get_body(preferencelist=("plain",)).get_content()
    assert "elle remplace la précédente" in body
