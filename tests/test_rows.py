"""`accord.rows.insert` writes new rows as `save(force_insert=True)` would: every column,
each value prepared by its field (JSON, dates, foreign keys), the primary keys set, in
the caller's transaction; an instance already saved is refused. `accord.rows.children`
reads the rows whose one column has one value (a parent's rows) as the ORM's filter would: the same values, converted by each
field (JSON, dates, times), the same order, instances that save and follow relations."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import transaction
from django.db.models.signals import post_init

from accord import rows
from accord.cases import actions
from accord.cases.choices import Channel
from accord.cases.intake import ComplainantDetails, Complaint, receive_complaint
from accord.cases.models import Clock, Complainant, Event
from accord.mediation.models import Feedback
from accord.organisations.models import ClosureDay, Organisation, Team
from tests.conftest import london

pytestmark = pytest.mark.django_db


def test_new_rows_are_written_with_their_ids() -> None:
    people = [Complainant(name=f"Person {n}", email=f"p{n}@example.com") for n in range(3)]
    rows.insert(people)
    assert [p.pk for p in people] == sorted(p.pk for p in people)
    stored = {p.pk: (p.name, p.email) for p in Complainant.objects.all()}
    assert stored == {p.pk: (p.name, p.email) for p in people}
    assert not people[0]._state.adding


def test_a_saved_instance_or_a_mix_of_models_is_refused() -> None:
    person = Complainant(name="Once")
    rows.insert([person])
    with pytest.raises(ValueError, match="new Complainant instances only"):
        rows.insert([person])
    with pytest.raises(ValueError):
        rows.insert([Complainant(name="A"), Feedback()])


def test_rows_follow_the_callers_transaction() -> None:
    def attempt() -> None:
        with transaction.atomic():
            rows.insert([Complainant(name="Rolled back")])
            raise RuntimeError

    with pytest.raises(RuntimeError):
        attempt()
    assert not Complainant.objects.filter(name="Rolled back").exists()


def _fields(objs: list[Any]) -> list[dict[str, Any]]:
    return [{k: v for k, v in vars(o).items() if k != "_state"} for o in objs]


def test_a_parents_rows_read_as_the_orm_reads_them(ocasa, staff) -> None:
    handler = staff("ocasa", "handler")
    complaint = Complaint(
        complainant=ComplainantDetails(name="Robin", email="robin@example.com"),
        description="The boiler has been broken for a month.",
        channel=Channel.EMAIL,
    )
    case, _ = receive_complaint(ocasa, complaint, now=london(2026, 12, 24, 10, 0))
    actions.assign(case.pk, handler, handler=handler, now=london(2026, 12, 29, 9, 0))
    actions.add_note(case.pk, handler, "Called \u2603 the tenant.", now=london(2026, 12, 29, 9, 5))
    ClosureDay.objects.create(organisation=ocasa, date=dt.date(2026, 12, 31), name="Stocktake")

    for model, parent, parent_id, order in (
        (Event, "case", case.pk, ["seq"]),  # JSON data, times, actors
        (Clock, "case", case.pk, ["started_at", "key"]),  # JSON explanation, dates
        (Clock, "case", case.pk, []),  # the model's own ordering
        (ClosureDay, "organisation", ocasa.pk, []),
        (Team, "organisation", ocasa.pk, ["-name"]),
        (Organisation, "slug", "ocasa", []),  # a column of text
    ):
        manager: Any = model.objects
        through_orm = manager.filter(**{parent: parent_id})
        expected = list(through_orm.order_by(*order) if order else through_orm)
        read = rows.where(model, parent, parent_id, order)
        assert _fields(read) == _fields(expected), model.__name__
        assert all(not o._state.adding and o._state.db == "default" for o in read)
    assert len(rows.where(Event, "case", case.pk)) == 3
    assert rows.where(Event, "case", case.pk + 1000) == []

    note = rows.where(Event, "case", case.pk, ["-seq"])[0]
    assert note.case == case
    assert note.actor == handler
    assert note.data == Event.objects.get(pk=note.pk).data
    clock = rows.where(Clock, "case", case.pk)[0]
    clock.label = "Renamed"
    clock.save(update_fields=["label"])
    assert Clock.objects.get(pk=clock.pk).label == "Renamed"


def test_a_read_by_anything_but_one_column_of_the_model_is_refused() -> None:
    for column in ("case__organisation", "missing"):
        with pytest.raises(ValueError, match="not a column"):
            rows.where(Event, column, 1)
    with pytest.raises(ValueError, match="not a plain read"):
        rows.where(Event, "case", "1")  # a foreign key's value given as text


def test_a_model_with_init_signals_is_read_through_the_orm() -> None:
    def receiver(**kwargs: Any) -> None:
        pass

    post_init.connect(receiver, sender=Team)
    try:
        with pytest.raises(ValueError, match="init signals"):
            rows.where(Team, "organisation", 1)
    finally:
        post_init.disconnect(receiver, sender=Team)


def test_a_key_reserved_ahead_of_its_row_is_the_rows_key() -> None:
    """PostgreSQL hands a key out of the sequence before the row exists, so rows naming
    it can go in first; SQLite gives a key only with its row."""
    from tests.production.harness import on_postgresql

    person = Complainant(name="Reserved")
    reserved = rows.reserve_pk(person)
    assert reserved == on_postgresql()
    key = person.pk
    rows.insert([person])
    assert Complainant.objects.get(name="Reserved").pk == person.pk
    if reserved:
        assert person.pk == key
        with pytest.raises(ValueError, match="reserve_pk takes new instances"):
            rows.reserve_pk(person)


def test_save_signals_are_sent_as_save_sends_them() -> None:
    """A model with receivers (django-tasks-db's task rows set a default in one) hears of
    each row as `save` would tell it: before, able to set a value, and after."""
    from django.db.models.signals import post_save, pre_save

    heard: list[tuple[str, Any]] = []

    def before(sender: Any, instance: Complainant, **kwargs: Any) -> None:
        instance.phone = "set before saving"
        heard.append(("pre", kwargs["raw"]))

    def after(sender: Any, instance: Complainant, created: bool, **kwargs: Any) -> None:
        heard.append(("post", created))

    pre_save.connect(before, sender=Complainant)
    post_save.connect(after, sender=Complainant)
    try:
        person = Complainant(name="Heard")
        rows.insert([person])
    finally:
        pre_save.disconnect(before, sender=Complainant)
        post_save.disconnect(after, sender=Complainant)
    assert heard == [("pre", False), ("post", True)]
    assert Complainant.objects.get(pk=person.pk).phone == "set before saving"


def test_a_batch_of_rows_goes_in_together_and_its_error_is_djangos() -> None:
    """Rows with known keys are sent together (PostgreSQL's pipeline) and answered once;
    a failure among them is raised at the end as Django's IntegrityError, the
    transaction rolled back, as one by one."""
    from django.db import IntegrityError

    people = [Complainant(name=f"Batched {n}") for n in range(3)]
    reserved = rows.reserve_pk(*people)
    with transaction.atomic(), rows.batched():
        for person in people:
            rows.insert([person])
    assert Complainant.objects.filter(name__startswith="Batched").count() == 3
    assert not reserved or [p.pk for p in people] == sorted(p.pk for p in people)

    def twice() -> None:
        again = Complainant(name="Twice", pk=people[0].pk)
        with transaction.atomic(), rows.batched():
            rows.insert([Complainant(name="Fine", pk=people[-1].pk + 1000)])
            rows.insert([again])

    with pytest.raises(IntegrityError):
        twice()
    assert not Complainant.objects.filter(name__in=["Fine", "Twice"]).exists()


def test_values_go_in_as_each_field_prepares_them() -> None:
    """Text, numbers and flags of their own type go in as they are; anything else (a
    lazy translation, a choice's enum, a number given as text) through its field."""
    from django.utils.translation import gettext_lazy

    from accord.cases.choices import Channel

    lazy: Any = gettext_lazy("Lazy name")
    people = [
        Complainant(name=lazy, is_microbusiness=True, link_generation=2),
        Complainant(name=Channel.WEB_FORM, email="a@example.com", link_generation="3"),
    ]
    rows.insert(people)
    stored = list(
        Complainant.objects.filter(pk__in=[p.pk for p in people])
        .order_by("pk")
        .values_list("name", "is_microbusiness", "link_generation", "email")
    )
    assert stored == [
        ("Lazy name", True, 2, ""),
        (str(Channel.WEB_FORM), False, 3, "a@example.com"),
    ]
