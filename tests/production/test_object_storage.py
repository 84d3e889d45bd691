"""Stored files in S3-compatible object storage (django-storages), against moto's S3
server started here on a free local port: a document and a binding agreement's PDF
are uploaded into the bucket (nothing on local disk), read back and served."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer

from accord.mediation.models import Agreement, Document
from tests.production.harness import free_port
from tests.test_agreements import CONFIRMED, binding_agreement
from tests.test_proposals import call, make_world
from tests.test_uploads import PDF, upload

pytestmark = pytest.mark.django_db

BUCKET = "accord-documents"


@pytest.fixture
def bucket(settings: Any, tmp_path: Path) -> Iterator[Any]:
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    keys = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
    s3 = boto3.resource("s3", endpoint_url=endpoint, region_name="eu-west-2", **keys)
    s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-2"})
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": BUCKET,
                "endpoint_url": endpoint,
                "region_name": "eu-west-2",
                "access_key": "testing",
                "secret_key": "testing",
                "location": "accord",
                "default_acl": "private",
                "file_overwrite": False,
            },
        },
    }
    try:
        yield s3.Bucket(BUCKET)
    finally:
        server.stop()


def test_a_document_and_an_agreement_pdf_live_in_the_bucket(
    bucket: Any, occs, staff, tmp_path
) -> None:
    world = make_world(occs, staff)
    ref = world["reference"]
    response = upload(world["practice"], ref, "Practice records.pdf", PDF)
    assert response.status_code == 201, response.content
    document = Document.objects.get(pk=response.json()["id"])
    key = f"accord/documents/{document.stored_as[:2]}/{document.stored_as}"
    stored = bucket.Object(key).get()["Body"].read()
    assert hashlib.sha256(stored).hexdigest() == document.sha256

    served = world["practice"].client.get(
        f"/api/cases/{ref}/documents/{document.pk}", headers=world["practice"].headers
    )
    assert served.status_code == 200
    assert b"".join(served.streaming_content) == PDF

    agreement = binding_agreement(world)
    pdf_name = Agreement.objects.get(pk=agreement["id"]).pdf_stored_as
    assert bucket.Object(f"accord/{pdf_name}").get()["Body"].read().startswith(b"%PDF")
    pdf = call(
        world["consumer"], CONFIRMED, "get", f"/cases/{ref}/agreements/{agreement['id']}/pdf"
    )
    assert pdf.status_code == 200
    assert b"".join(pdf.streaming_content).startswith(b"%PDF")
    # Nothing went to local disk.
    assert not (tmp_path / "media").exists()
