"""Where uploaded and generated files live: a folder (UPLOAD_ROOT) by default, or an
S3-compatible bucket (STORAGE_BACKEND=s3: AWS, MinIO, Ceph, Scaleway …).

Files are stored under random keys chosen here, never under a name from the client, and are
served only through views that decide who may see them. Both stores take the same keys, checked
by `check_key()`; a missing file is a FileNotFoundError for both, any other failure an OSError.
"""
import errno
import mimetypes
import os
import secrets
from contextlib import contextmanager
from pathlib import Path

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from flask import current_app

_KEY_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789-_./")
BACKENDS = ("local", "s3")
S3_SETTINGS = ("S3_BUCKET", "S3_ENDPOINT_URL", "S3_REGION", "S3_ACCESS_KEY_ID",
               "S3_SECRET_ACCESS_KEY", "S3_PREFIX")
# A stuck store must not hold a worker for long; "standard" retries back off on 5xx and throttling.
S3_CLIENT_CONFIG = dict(connect_timeout=5, read_timeout=30,
                        retries={"max_attempts": 3, "mode": "standard"})
MISSING_CODES = {"NoSuchKey", "404", "NotFound"}
REFUSED_CODES = {"AccessDenied", "403", "InvalidAccessKeyId", "SignatureDoesNotMatch",
                 "InvalidToken", "ExpiredToken"}


class StorageError(OSError):
    """The store cannot be used: missing bucket, refused credentials, unreachable endpoint."""


def check_key(key: str) -> str:
    """The one key rule: lower-case letters, digits and -_./, no `..`, not absolute."""
    if (not key or not isinstance(key, str) or not set(key) <= _KEY_CHARS or ".." in key
            or key.startswith("/")):
        raise ValueError("invalid storage key")
    return key


def content_type(key: str) -> str:
    return mimetypes.guess_type(key)[0] or "application/octet-stream"


# The two stores ------------------------------------------------------------------------------

class LocalStore:
    """Files in a folder; a new file is written aside, then renamed into place."""

    def __init__(self, root: str):
        self.root = Path(root)

    def describe(self) -> str:
        return f"folder {self.root}"

    def write(self, key: str, data: bytes) -> None:
        path = self.root / check_key(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(".part")
        temporary.write_bytes(data)
        os.replace(temporary, path)

    def read(self, key: str) -> bytes:
        return (self.root / check_key(key)).read_bytes()

    def delete(self, key: str) -> None:
        (self.root / check_key(key)).unlink(missing_ok=True)


class S3Store:
    """Private objects in one bucket, under an optional prefix. The bucket is checked once,
    when the store is made, so wrong settings fail at first use with a clear message."""

    def __init__(self, client, bucket: str, prefix: str = ""):
        self.client, self.bucket = client, bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        with self._errors("check"):
            client.head_bucket(Bucket=bucket)

    def describe(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"

    def write(self, key: str, data: bytes) -> None:
        with self._errors(f"write of {key}"):
            # No ACL: objects stay private (the bucket's default); only the portal serves them.
            self.client.put_object(Bucket=self.bucket, Key=self._name(key), Body=data,
                                   ContentType=content_type(key))

    def read(self, key: str) -> bytes:
        with self._errors(f"read of {key}", missing=key):
            return self.client.get_object(Bucket=self.bucket, Key=self._name(key))["Body"].read()

    def delete(self, key: str) -> None:
        with self._errors(f"delete of {key}"):  # deleting a missing object succeeds
            self.client.delete_object(Bucket=self.bucket, Key=self._name(key))

    def _name(self, key: str) -> str:
        return self.prefix + check_key(key)

    @contextmanager
    def _errors(self, what: str, missing: str | None = None):
        """botocore's errors as FileNotFoundError (a missing object) or StorageError."""
        try:
            yield
        except ClientError as error:
            code = str(error.response.get("Error", {}).get("Code", ""))
            if missing is not None and code in MISSING_CODES:
                raise FileNotFoundError(errno.ENOENT, "no such stored file", missing) from None
            raise StorageError(f"S3 bucket {self.bucket!r}, {what}: "
                               f"{_explain(code, error)}") from error
        except BotoCoreError as error:
            raise StorageError(f"S3 bucket {self.bucket!r}, {what}: {error}") from error


def _explain(code: str, error: ClientError) -> str:
    message = error.response.get("Error", {}).get("Message") or code
    if code in REFUSED_CODES:
        return f"access refused ({message}); check S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY"
    if code in ("NoSuchBucket", "404"):
        return "the bucket does not exist (check S3_BUCKET and S3_ENDPOINT_URL)"
    return f"{code}: {message}"


def s3_client(config):
    """A client from the S3_* settings; empty keys leave boto3 its usual credential chain."""
    endpoint = config.get("S3_ENDPOINT_URL") or None
    # Self-hosted stores (MinIO, Ceph) expect bucket names in the path, not in the host name.
    addressing = {"addressing_style": "path" if endpoint else "auto"}
    return boto3.session.Session().client(
        "s3", endpoint_url=endpoint, region_name=config.get("S3_REGION") or None,
        aws_access_key_id=config.get("S3_ACCESS_KEY_ID") or None,
        aws_secret_access_key=config.get("S3_SECRET_ACCESS_KEY") or None,
        config=Config(s3=addressing, **S3_CLIENT_CONFIG))


# The app's store -----------------------------------------------------------------------------

def check_settings(config) -> None:
    """At start-up: refuse an unknown backend, or S3 without a bucket."""
    backend = config.get("STORAGE_BACKEND", "local")
    if backend not in BACKENDS:
        raise RuntimeError(f"STORAGE_BACKEND must be one of {', '.join(BACKENDS)}, "
                           f"not {backend!r}.")
    if backend == "s3" and not config.get("S3_BUCKET"):
        raise RuntimeError("STORAGE_BACKEND=s3 needs S3_BUCKET.")


def _settings(config) -> tuple:
    if config.get("STORAGE_BACKEND", "local") == "s3":
        return ("s3",) + tuple(config.get(name) for name in S3_SETTINGS)
    return ("local", config["UPLOAD_ROOT"])


def store():
    """The app's store, made on first use and kept in `app.extensions` (made again if the
    settings it came from change, as tests do)."""
    app = current_app._get_current_object()
    settings = _settings(app.config)
    cached = app.extensions.get("storage")
    if cached is None or cached[0] != settings:
        cached = app.extensions["storage"] = (settings, _make(app.config))
    return cached[1]


def _make(config):
    if config.get("STORAGE_BACKEND", "local") == "s3":
        return S3Store(s3_client(config), config["S3_BUCKET"], config.get("S3_PREFIX") or "")
    return LocalStore(config["UPLOAD_ROOT"])


def reset(app) -> None:
    """Forget the app's store (the next use makes a new one)."""
    app.extensions.pop("storage", None)


# What the rest of the portal calls -----------------------------------------------------------

def save(data: bytes, folder: str, extension: str) -> str:
    """Store `data` under a new random key in `folder`; return the key."""
    key = check_key(f"{folder}/{secrets.token_hex(16)}.{extension}")
    store().write(key, data)
    return key


def read(key: str) -> bytes:
    """The stored bytes; FileNotFoundError when nothing is stored under `key`."""
    return store().read(check_key(key))


def delete(key: str | None) -> None:
    """Remove a stored file; a missing one is not an error."""
    if key:
        store().delete(check_key(key))


def probe() -> str:
    """Write, read back and delete a small object; return where (for `flask storage check`)."""
    data = secrets.token_bytes(64)
    key = save(data, "probe", "bin")
    try:
        if read(key) != data:
            raise StorageError("the probe object came back different")
    finally:
        delete(key)
    try:
        read(key)
    except FileNotFoundError:
        return store().describe()
    raise StorageError("the probe object is still there after its deletion")
