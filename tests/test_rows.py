"""`accord.rows.insert` writes new rows as `save(force_insert=True)` would: every column,
each value prepared by its field (JSON, dates, foreign keys), the primary keys set, in
the caller's transaction; an instance already saved is refused."""

from __future__ import annotations

import pytest
from django.db import transaction

from accord import rows
from accord.cases.models import Complainant
from accord.mediation.models import Feedback

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
