"""Case references run PREFIX-YEAR-NNNNNN per organisation and year, with no gap and no
repeat however many complaints arrive at once; a complaint whose intake is rolled back
gives its number back. The number is taken by the last statement before the commit, so
concurrent intakes of one organisation wait on its counter for as short a time as can
be (PostgreSQL: the counter and the case's row are one statement)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accord.cases.choices import Channel
from accord.cases.intake import ComplainantDetails, Complaint, receive_complaint
from accord.cases.models import Case, ReferenceCounter
from accord.organisations.models import Organisation
from tests.production.harness import on_postgresql


def _complaint(n: int) -> Complaint:
    return Complaint(
        complainant=ComplainantDetails(name=f"Person {n}", email=f"person{n}@example.com"),
        description="The deposit has not been returned.",
        channel=Channel.WEB_FORM,
    )


def _receive(organisation: Organisation, n: int) -> str:
    case, _ = receive_complaint(organisation, _complaint(n), now=timezone.now())
    return case.reference


@pytest.mark.skipif(
    not on_postgresql(),
    reason="SQLite's test database is in memory with a shared cache, where a second writer "
    "fails at once ('table is locked') instead of queueing on the file's write lock",
)
def test_complaints_arriving_at_once_are_numbered_without_gap_or_repeat(committed_db, ocasa):
    made: list[str] = []
    failures: list[BaseException] = []
    lock = threading.Lock()

    def client(start: int) -> None:
        try:
            for n in range(start, start + 6):
                reference = _receive(ocasa, n)
                with lock:
                    made.append(reference)
        except BaseException as error:  # reported below
            failures.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=client, args=(10 * c,)) for c in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    year = timezone.now().year
    assert sorted(made) == [f"OCA-{year}-{n:06d}" for n in range(1, 25)]
    assert sorted(Case.objects.values_list("reference", flat=True)) == sorted(made)


@pytest.mark.django_db
def test_a_rolled_back_intake_gives_its_number_back(ocasa):
    first = _receive(ocasa, 1)

    def received_then_failed() -> None:
        with transaction.atomic():
            _receive(ocasa, 2)
            raise RuntimeError("the caller's transaction fails after the intake")

    with pytest.raises(RuntimeError):
        received_then_failed()
    assert _receive(ocasa, 3) == first[:-1] + "2"


@pytest.mark.django_db
def test_numbers_go_past_six_digits(ocasa):
    year = timezone.now().year
    ReferenceCounter.objects.create(organisation=ocasa, year=year, last=999_998)
    assert [_receive(ocasa, n) for n in range(2)] == [
        f"OCA-{year}-999999",
        f"OCA-{year}-1000000",
    ]


@pytest.mark.django_db
def test_the_number_is_taken_last(ocasa):
    _receive(ocasa, 0)  # the year's counter exists
    with CaptureQueriesContext(connection) as queries:
        _receive(ocasa, 1)
    data = [
        q["sql"]
        for q in queries.captured_queries
        if not q["sql"].upper().startswith(("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE"))
    ]
    numbered = [n for n, sql in enumerate(data) if "cases_referencecounter" in sql]
    if on_postgresql():
        # Everything that names the case went in first; the counter and the case's row
        # are the last statement, so the counter is locked only for it and the commit.
        assert numbered == [len(data) - 1]
        assert 'INSERT INTO "cases_case"' in data[-1]
        assert [sql for sql in data if 'INTO "cases_case"' in sql] == [data[-1]]
    else:
        # SQLite's write lock holds the whole transaction anyway: the case goes in first,
        # after the statements that read what intake needs.
        assert len(numbered) == 1
        assert 'INSERT INTO "cases_case"' in data[numbered[0] + 1]
