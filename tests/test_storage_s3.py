"""The S3-compatible store, against a real S3 server on loopback (moto's standalone server,
spoken to over HTTP by boto3 exactly as MinIO or AWS would be): the same keys and the same
errors as the folder store, private objects, clear errors for wrong settings, `flask storage
check`, and the portal serving a proof and a proforma kept in the bucket."""
import io
import json
import os
import re

import boto3
import pytest
import requests
from moto.server import ThreadedMotoServer
from sqlalchemy import select

from portal import create_app, storage
from portal.extensions import db
from portal.payments.models import PaymentProof
from portal.proforma.models import Proforma
from portal.staff.models import agency_today
from tests.conftest import free_port
from tests.factories import login
from tests.payments import builders, corpus

BUCKET = "portal-files"
KEY_ID, SECRET = "portal-key-id", "portal-secret-key"
RANDOM_KEY = re.compile(r"^proofs/[0-9a-f]{32}\.pdf$")
HOSTILE_KEYS = ["../etc/passwd", "/etc/passwd", "proofs/../../x", "", "a b", "Proofs/X.pdf",
                "proofs/%2e%2e/x", "proofs/x?acl", None]


@pytest.fixture(scope="module")
def s3_server():
    """An S3 server on a free loopback port with one bucket; its URL."""
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    url = f"http://127.0.0.1:{port}"
    raw_client(url).create_bucket(Bucket=BUCKET)
    yield url
    server.stop()


def raw_client(url: str):
    """A client of our own, to look into the bucket behind the portal's back."""
    return boto3.session.Session().client(
        "s3", endpoint_url=url, region_name="us-east-1", aws_access_key_id=KEY_ID,
        aws_secret_access_key=SECRET)


def s3_settings(url: str, **changes) -> dict:
    return {"STORAGE_BACKEND": "s3", "S3_BUCKET": BUCKET, "S3_ENDPOINT_URL": url,
            "S3_REGION": "us-east-1", "S3_ACCESS_KEY_ID": KEY_ID,
            "S3_SECRET_ACCESS_KEY": SECRET, "S3_PREFIX": ""} | changes


@pytest.fixture
def use_s3(app, s3_server, monkeypatch):
    """The session app switched to the bucket; `use_s3(**changes)` to change a setting.
    The store made for it is forgotten afterwards."""
    def switch(**changes):
        for name, value in s3_settings(s3_server, **changes).items():
            monkeypatch.setitem(app.config, name, value)
        storage.reset(app)
    switch()
    yield switch
    storage.reset(app)


class Bucket:
    """The bucket as seen from outside, behind the portal's back."""

    def __init__(self, url: str):
        self.server, self.client = url, raw_client(url)

    def get(self, name: str) -> dict:
        return self.client.get_object(Bucket=BUCKET, Key=name)

    def names(self, prefix: str = "") -> set[str]:
        listed = self.client.list_objects_v2(Bucket=BUCKET, Prefix=prefix)
        return {item["Key"] for item in listed.get("Contents", [])}

    def url(self, name: str) -> str:
        return f"{self.server}/{BUCKET}/{name}"


@pytest.fixture
def bucket(s3_server) -> Bucket:
    return Bucket(s3_server)


@pytest.fixture
def requests_sent(app_ctx, use_s3):
    """Counts the HTTP requests the portal's S3 client sends."""
    sent = []
    storage.store().client.meta.events.register(
        "before-send.s3", lambda request, **_: sent.append(request.url))
    return sent


# --- The same three verbs as the folder ---------------------------------------------------

def test_a_file_goes_to_the_bucket_under_a_random_key_and_comes_back(app_ctx, use_s3, bucket):
    first = storage.save(b"%PDF-1.7 first", "proofs", "pdf")
    second = storage.save(b"%PDF-1.7 first", "proofs", "pdf")
    assert first != second and RANDOM_KEY.match(first) and RANDOM_KEY.match(second)
    assert storage.read(first) == b"%PDF-1.7 first"
    stored = bucket.get(first)
    assert stored["Body"].read() == b"%PDF-1.7 first"
    assert stored["ContentType"] == "application/pdf"
    storage.delete(first)
    assert first not in bucket.names("proofs/") and second in bucket.names("proofs/")


@pytest.mark.parametrize("extension, content_type", [
    ("jpg", "image/jpeg"), ("png", "image/png"), ("webp", "image/webp"), ("bin", None)])
def test_the_content_type_comes_from_the_extension(app_ctx, use_s3, bucket, extension,
                                                   content_type):
    key = storage.save(b"data", "photos", extension)
    assert bucket.get(key)["ContentType"] == (content_type or "application/octet-stream")


def test_a_prefix_puts_every_file_under_it(app_ctx, use_s3, bucket):
    use_s3(S3_PREFIX="/agence-abidjan/")
    key = storage.save(b"logo", "logos", "png")
    assert key.startswith("logos/")
    assert f"agence-abidjan/{key}" in bucket.names("agence-abidjan/")
    assert storage.read(key) == b"logo"


def test_five_megabytes_of_binary_come_back_identical(app_ctx, use_s3, bucket):
    data = os.urandom(5 * 1024 * 1024) + bytes(range(256))
    key = storage.save(data, "proofs", "pdf")
    assert storage.read(key) == data
    assert bucket.get(key)["Body"].read() == data


@pytest.mark.parametrize("key", HOSTILE_KEYS)
def test_hostile_keys_are_refused_before_any_request(requests_sent, key):
    with pytest.raises(ValueError):
        storage.read(key)
    if key:
        with pytest.raises(ValueError):
            storage.delete(key)
    else:
        storage.delete(key)  # no key: nothing to delete, as with the folder
    assert requests_sent == []


@pytest.mark.parametrize("key", HOSTILE_KEYS)
def test_both_stores_share_one_key_rule(key):
    with pytest.raises(ValueError):
        storage.check_key(key)


def test_a_missing_file_is_a_file_not_found_error_in_both_stores(app, app_ctx, use_s3,
                                                                 monkeypatch, tmp_path):
    missing = "proofs/" + "0" * 32 + ".pdf"
    with pytest.raises(FileNotFoundError):
        storage.read(missing)
    monkeypatch.setitem(app.config, "STORAGE_BACKEND", "local")
    monkeypatch.setitem(app.config, "UPLOAD_ROOT", str(tmp_path))
    with pytest.raises(FileNotFoundError):
        storage.read(missing)


def test_deleting_twice_or_deleting_nothing_is_not_an_error(app_ctx, use_s3, bucket):
    key = storage.save(b"x", "logos", "png")
    storage.delete(key)
    storage.delete(key)
    storage.delete("logos/" + "f" * 32 + ".png")
    storage.delete(None)
    assert key not in bucket.names("logos/")


def test_objects_are_private(app_ctx, use_s3, bucket):
    key = storage.save(b"%PDF-1.7 a bank statement", "proofs", "pdf")
    anonymous = requests.get(bucket.url(key), timeout=5)
    assert anonymous.status_code == 403
    assert b"bank statement" not in anonymous.content
    grants = bucket.client.get_object_acl(Bucket=BUCKET, Key=key)["Grants"]
    assert [grant["Permission"] for grant in grants] == ["FULL_CONTROL"]
    assert all("AllUsers" not in str(grant["Grantee"]) for grant in grants)
    # The same server does serve an object made public: the 403 above is the ACL's doing.
    bucket.client.put_object(Bucket=BUCKET, Key="public/x.txt", Body=b"hello",
                              ACL="public-read")
    assert requests.get(bucket.url("public/x.txt"), timeout=5).content == b"hello"


# --- Wrong settings say so ----------------------------------------------------------------

def test_a_missing_bucket_is_a_clear_error_at_first_use(app_ctx, use_s3):
    use_s3(S3_BUCKET="no-such-bucket")
    with pytest.raises(storage.StorageError, match="'no-such-bucket', check: the bucket does not exist"):
        storage.save(b"x", "logos", "png")


@pytest.fixture
def credentials_checked(s3_server):
    """For the test's length the S3 server checks access keys and knows one, allowed to use
    S3, which it yields as (key id, secret)."""
    iam = boto3.session.Session().client(
        "iam", endpoint_url=s3_server, region_name="us-east-1", aws_access_key_id=KEY_ID,
        aws_secret_access_key=SECRET)
    iam.create_user(UserName="portal")
    iam.put_user_policy(UserName="portal", PolicyName="files", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}))
    key = iam.create_access_key(UserName="portal")["AccessKey"]
    requests.post(f"{s3_server}/moto-api/reset-auth", data=b"0", timeout=5).raise_for_status()
    yield key["AccessKeyId"], key["SecretAccessKey"]
    requests.post(f"{s3_server}/moto-api/reset-auth", data=b"inf", timeout=5).raise_for_status()
    iam.delete_access_key(UserName="portal", AccessKeyId=key["AccessKeyId"])
    iam.delete_user_policy(UserName="portal", PolicyName="files")
    iam.delete_user(UserName="portal")


def test_wrong_credentials_are_a_clear_error_at_first_use(app_ctx, use_s3, credentials_checked):
    key_id, secret = credentials_checked
    right = {"S3_ACCESS_KEY_ID": key_id, "S3_SECRET_ACCESS_KEY": secret}
    use_s3(**right)
    assert storage.read(storage.save(b"right", "logos", "png")) == b"right"
    for wrong in ({"S3_SECRET_ACCESS_KEY": "not-the-secret"},
                  {"S3_ACCESS_KEY_ID": "AKIAUNKNOWN000000000"}):
        use_s3(**right | wrong)
        with pytest.raises(storage.StorageError,
                           match="'portal-files', check: access refused.*S3_SECRET_ACCESS_KEY"
                           ) as error:
            storage.read("logos/" + "0" * 32 + ".png")
        assert "not-the-secret" not in str(error.value) and secret not in str(error.value)


def test_an_unreachable_endpoint_is_a_clear_error(app_ctx, use_s3):
    use_s3(S3_ENDPOINT_URL=f"http://127.0.0.1:{free_port()}")
    with pytest.raises(storage.StorageError, match="Could not connect"):
        storage.save(b"x", "logos", "png")


@pytest.mark.parametrize("settings, message", [
    ({"STORAGE_BACKEND": "ftp"}, "STORAGE_BACKEND must be one of local, s3"),
    ({"STORAGE_BACKEND": "s3", "S3_BUCKET": ""}, "needs S3_BUCKET"),
])
def test_settings_that_cannot_work_stop_the_start(tmp_path, settings, message):
    with pytest.raises(RuntimeError, match=message):
        create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.sqlite'}"} | settings)


# --- flask storage check ------------------------------------------------------------------

def test_storage_check_on_the_bucket(runner, use_s3, bucket):
    result = runner.invoke(args=["storage", "check"])
    assert result.exit_code == 0, result.output
    assert f"Storage OK: a probe file was written, read back and deleted in s3://{BUCKET}/" \
        in result.output
    assert bucket.names("probe/") == set()


def test_storage_check_on_the_folder(app, runner, monkeypatch, tmp_path):
    monkeypatch.setitem(app.config, "UPLOAD_ROOT", str(tmp_path))
    result = runner.invoke(args=["storage", "check"])
    assert result.exit_code == 0, result.output
    assert f"deleted in folder {tmp_path}" in result.output
    assert not any(path.is_file() for path in tmp_path.rglob("*"))


def test_storage_check_fails_loudly_on_a_missing_bucket(runner, use_s3):
    use_s3(S3_BUCKET="no-such-bucket")
    result = runner.invoke(args=["storage", "check"])
    assert result.exit_code == 1
    assert "Storage check failed:" in result.output and "does not exist" in result.output
    assert SECRET not in result.output


# --- The portal on the bucket -------------------------------------------------------------

def test_the_portal_keeps_a_proof_and_a_proforma_in_the_bucket_and_serves_them(
        app, use_s3, bucket, monkeypatch, tmp_path):
    monkeypatch.setitem(app.config, "UPLOAD_ROOT", str(tmp_path))  # to see nothing lands there
    with app.app_context():
        methods = builders.agency()
        staff = builders.staff_member()
        order = builders.quoted(builders.member(), staff)
        order_id, method_id = order.id, methods[0].id
        proforma = db.session.scalars(select(Proforma).filter_by(order_id=order_id)).one()
        proforma_key, version = proforma.pdf_key, proforma.version
        paid_on = agency_today().isoformat()
    client = app.test_client()
    assert login(client, "awa@example.com").status_code == 302
    photo = corpus.jpeg_with_gps()
    sent = client.post_form(f"/commandes/{order_id}/paiement", {
        "file": (io.BytesIO(photo), "recu.jpg"), "amount_paid": "95,00",
        "method_id": str(method_id), "paid_on": paid_on,
        "transaction_ref": "WAVE-0001", "comment": ""}, content_type="multipart/form-data")
    assert sent.status_code == 302, sent.get_data(as_text=True)[:500]
    with app.app_context():
        proof = db.session.scalars(select(PaymentProof).filter_by(order_id=order_id)).one()
        proof_id, proof_key = proof.id, proof.file_key

    assert {proforma_key, proof_key} <= bucket.names()
    assert not any(path.is_file() for path in tmp_path.rglob("*"))
    stored_proof = bucket.get(proof_key)["Body"].read()
    assert stored_proof != photo and b"GPS" not in stored_proof  # the cleaned copy
    served = client.get(f"/commandes/{order_id}/preuves/{proof_id}/fichier")
    assert served.status_code == 200 and served.get_data() == stored_proof
    pdf = client.get(f"/commandes/{order_id}/proforma/v{version}/pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.get_data() == bucket.get(proforma_key)["Body"].read()
    assert pdf.get_data().startswith(b"%PDF-")
