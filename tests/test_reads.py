"""`accord.reads.Read` compiles a queryset's SQL once and gives, call after call with
other values, what the queryset itself would: model instances with their
`select_related` objects, `values()` dicts, `values_list()` tuples and flat values,
each field converted (dates, JSON), in order, sliced; arguments that do not reach the
SQL as parameters are refused, and what changes the statement goes in `shape`."""

from __future__ import annotations

from typing import Any

import pytest
from django.db.models import Count

from accord.cases.models import Case, Event
from accord.reads import Read
from tests.conftest import ApiClient, complaint_body

pytestmark = pytest.mark.django_db


def _cases(organisation_slug: str, count: int) -> list[str]:
    made = []
    for n in range(count):
        body = complaint_body(complainant={"name": f"Person {n}", "email": f"p{n}@example.com"})
        response = ApiClient().post(f"/organisations/{organisation_slug}/complaints", body)
        assert response.status_code == 201, response.content
        made.append(response.json()["reference"])
    return made


def _same(ours: list[Any], theirs: list[Any]) -> None:
    assert len(ours) == len(theirs)
    for mine, django in zip(ours, theirs, strict=True):
        if hasattr(django, "_meta"):
            assert type(mine) is type(django)
            fields = [f.attname for f in django._meta.concrete_fields]
            assert [getattr(mine, f) for f in fields] == [getattr(django, f) for f in fields]
            assert not mine._state.adding
        else:
            assert mine == django


def test_instances_with_their_related_objects_as_the_orm_gives_them(ocasa) -> None:
    references = _cases("ocasa", 3)
    read = Read(
        lambda reference: (
            Case.objects.select_related("organisation", "complainant", "handler")
            .filter(reference=reference)
            .order_by("pk")[:1]
        )
    )
    for reference in references:  # one statement, three values
        ours = read(reference)
        theirs = list(
            Case.objects.select_related("organisation", "complainant", "handler").filter(
                reference=reference
            )[:1]
        )
        _same(ours, theirs)
        assert ours[0].organisation.slug == "ocasa"
        assert ours[0].organisation._state.db == theirs[0].organisation._state.db == "default"
        assert list(ours[0].organisation.teams.all()) == list(theirs[0].organisation.teams.all())
        assert ours[0].complainant.name == theirs[0].complainant.name
        assert ours[0].handler is None
    assert read("NOPE-0") == []
    assert len(read._statements) == 1


def test_values_tuples_flat_values_and_json(ocasa) -> None:
    references = _cases("ocasa", 2)
    case = Case.objects.get(reference=references[0])
    flat = Read(
        lambda case_id: Event.objects.filter(case_id=case_id).values_list("kind", flat=True)
    )
    assert flat(case.pk) == list(Event.objects.filter(case=case).values_list("kind", flat=True))
    pairs = Read(lambda case_id: Event.objects.filter(case_id=case_id).values_list("seq", "data"))
    assert pairs(case.pk) == list(Event.objects.filter(case=case).values_list("seq", "data"))
    assert isinstance(pairs(case.pk)[0][1], dict)  # JSON decoded as the ORM does
    dicts = Read(
        lambda org_id: (
            Case.objects.filter(organisation_id=org_id)
            .values("stage")
            .annotate(n=Count("pk"))
            .order_by("stage")
        )
    )
    assert dicts(ocasa.pk) == list(
        Case.objects.filter(organisation=ocasa).values("stage").annotate(n=Count("pk"))
    )
    dates = Read(
        lambda reference: Case.objects.filter(reference=reference).values_list("received_at")
    )
    assert dates(references[1]) == [(Case.objects.get(reference=references[1]).received_at,)]


def test_what_changes_the_statement_is_its_shape(ocasa) -> None:
    references = _cases("ocasa", 3)
    read = Read(
        lambda org_id, wanted: (
            Case.objects.filter(organisation_id=org_id, reference__in=wanted)
            .order_by("reference")
            .values_list("reference", flat=True)
        )
    )
    assert read(ocasa.pk, shape=(tuple(references[:2]),)) == references[:2]
    assert read(ocasa.pk, shape=(tuple(references[1:]),)) == references[1:]
    assert read(ocasa.pk, shape=((references[0],),)) == references[:1]
    assert len(read._statements) == 3


def test_an_argument_that_is_not_a_parameter_is_refused(ocasa) -> None:
    rewritten = Read(lambda name: Case.objects.filter(complainant__name__icontains=name))
    with pytest.raises(ValueError, match="does not reach the SQL"):
        rewritten("Person")
    unused = Read(lambda org_id: Case.objects.all())
    with pytest.raises(ValueError, match="does not reach the SQL"):
        unused(ocasa.pk)
    with pytest.raises(TypeError, match="whole numbers and strings"):
        Read(lambda flag: Case.objects.filter(vulnerable=flag))(True)
    with pytest.raises(ValueError, match="prefetch"):
        Read(lambda org_id: Case.objects.filter(organisation_id=org_id).prefetch_related("events"))(
            ocasa.pk
        )
