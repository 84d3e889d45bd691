"""A form submission is acted on once however often the browser sends it."""

from __future__ import annotations

import pytest
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template import Context, Template
from django.test import Client
from django.urls import path

from accord.web.models import Submission
from accord.web.resubmission import once_per_submission

acted: list[str] = []


@once_per_submission
def _note(request: HttpRequest) -> HttpResponse:
    text = request.POST.get("text", "")
    if not text:
        return HttpResponse("errors", status=200)
    acted.append(text)
    return HttpResponseRedirect("/done/", status=303)


urlpatterns = [path("note/", _note)]

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]


@pytest.fixture(autouse=True)
def _clear() -> None:
    acted.clear()


def _key() -> str:
    html = Template("{% load submission %}{% submission_key %}").render(Context())
    return html.split('value="')[1].split('"')[0]


def test_the_same_submission_twice_is_acted_on_once() -> None:
    client = Client()
    key = _key()
    first = client.post("/note/", {"submission_key": key, "text": "hello"})
    second = client.post("/note/", {"submission_key": key, "text": "hello"})
    assert first.status_code == 303
    assert first["Location"] == "/done/"
    assert second.status_code == 303
    assert second["Location"] == "/note/"
    assert acted == ["hello"]
    assert Submission.objects.count() == 1


def test_a_submission_shown_again_with_errors_can_be_corrected_and_sent() -> None:
    client = Client()
    key = _key()
    assert client.post("/note/", {"submission_key": key, "text": ""}).status_code == 200
    assert client.post("/note/", {"submission_key": key, "text": "fixed"}).status_code == 303
    assert acted == ["fixed"]


@pytest.mark.parametrize("key", ["", "short", "x" * 65, "<script>alert(1)</script>abcdefgh"])
def test_a_post_without_a_valid_key_is_not_acted_on(key: str) -> None:
    response = Client().post("/note/", {"submission_key": key, "text": "hello"})
    assert response.status_code == 303
    assert response["Location"] == "/note/"
    assert acted == []


def test_every_key_is_different() -> None:
    assert len({_key() for _ in range(50)}) == 50


def test_a_repeat_goes_back_to_the_page_the_form_was_on() -> None:
    client = Client()
    key = _key()
    client.post("/note/", {"submission_key": key, "text": "hello"})
    again = client.post(
        "/note/",
        {"submission_key": key, "text": "hello"},
        HTTP_REFERER="http://testserver/cases/X/",
    )
    assert again.status_code == 303
    assert again["Location"] == "http://testserver/cases/X/"
    elsewhere = client.post(
        "/note/",
        {"submission_key": key, "text": "hello"},
        HTTP_REFERER="https://evil.example/",
    )
    assert elsewhere["Location"] == "/note/"
    assert acted == ["hello"]
