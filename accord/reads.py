"""Reads through the ORM whose SQL is compiled once: the pages people wait on make a
dozen small reads each, and building and compiling each queryset cost the ORM several
times what the database took to answer it (a case with its organisation, complainant,
respondent, handler and team: 1.0 ms of CPU through the ORM, 0.1 ms of it the query).

A `Read` wraps a function that builds a queryset from its arguments. The first time it
is called for a database and a `shape`, the function runs with probe values in place
of the arguments (numbers and strings no caller would pass), Django compiles the
queryset, and the probes are found among the statement's parameters. Every later call
reuses that statement with the real values in the probes' places, and turns the rows
into what the queryset would have given (model instances with their `select_related`
objects, dicts of `values()`, tuples or single values of `values_list()`), with the same
field conversions.

The contract: every argument must reach the SQL as a parameter (a probe that does not,
or that a lookup rewrites, such as `icontains`, is refused when compiled), and anything
else that changes the statement — which filters apply, how many values an `__in` list
holds — is passed as `shape`, which the function receives after the arguments and
which keys the compiled statement. Only whole numbers and strings may be arguments.
`prefetch_related`, `extra(select=...)` and querysets of a related manager are refused.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import QuerySet
from django.db.models.query import (
    FlatValuesListIterable,
    ModelIterable,
    ValuesIterable,
    ValuesListIterable,
    get_related_populators,
)

_INT_PROBE = 1_987_650_000  # below 2**31: an integer column's lookups take it
_STR_PROBE = "\x1fprobe-{}\x1f"


def _probe(value: object, index: int) -> int | str:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise TypeError(
            f"a Read takes whole numbers and strings as arguments, not {type(value).__name__}"
        )
    return _INT_PROBE + index if isinstance(value, int) else _STR_PROBE.format(index)


@dataclass(frozen=True)
class _Statement:
    sql: str
    params: tuple[Any, ...]
    slots: tuple[tuple[int, int], ...]  # (parameter position, argument index)
    converters: tuple[tuple[int, tuple[Any, ...], Any], ...]
    make: Callable[[Any, list[list[Any]]], list[Any]]


class Read:
    """A read whose SQL is compiled once per database, argument types and shape."""

    def __init__(self, build: Callable[..., QuerySet[Any]]) -> None:
        self.build = build
        self._statements: dict[Hashable, _Statement] = {}
        self._lock = threading.Lock()

    def __call__(self, *values: int | str, shape: tuple[Hashable, ...] = ()) -> list[Any]:
        db = connections[DEFAULT_DB_ALIAS]
        key = (db.alias, db.vendor, tuple(type(v) for v in values), shape)
        statement = self._statements.get(key)
        if statement is None:
            statement = self._compile(db, values, shape)
            with self._lock:
                self._statements[key] = statement
        params = list(statement.params)
        for position, index in statement.slots:
            params[position] = values[index]
        with db.cursor() as cursor:
            cursor.execute(statement.sql, params)
            found = cursor.fetchall()
        rows = [list(row) for row in found]
        for position, functions, expression in statement.converters:
            for row in rows:
                value = row[position]
                for convert in functions:
                    value = convert(value, expression, db)
                row[position] = value
        return statement.make(db, rows)

    def _compile(
        self, db: Any, values: Sequence[int | str], shape: tuple[Hashable, ...]
    ) -> _Statement:
        probes = [_probe(value, index) for index, value in enumerate(values)]
        queryset = self.build(*probes, *shape)
        if getattr(queryset, "_prefetch_related_lookups", ()) or getattr(
            queryset, "_known_related_objects", {}
        ):
            raise ValueError("a Read cannot prefetch or follow a related manager")
        compiler = queryset.query.get_compiler(using=db.alias)
        try:
            sql, params = compiler.as_sql()
        except EmptyResultSet:
            raise ValueError("this Read's queryset matches nothing whatever its values") from None
        if compiler.has_extra_select:
            raise ValueError("a Read cannot select extra columns")
        slots: list[tuple[int, int]] = []
        for position, param in enumerate(params):
            for index, probe in enumerate(probes):
                if type(param) is type(probe) and param == probe:
                    slots.append((position, index))
        missing = set(range(len(probes))) - {index for _, index in slots}
        if missing:
            raise ValueError(
                f"argument {sorted(missing)} does not reach the SQL as a parameter: "
                "pass what changes the statement as shape"
            )
        fields = [selected[0] for selected in compiler.select[: compiler.col_count]]
        converters = tuple(
            (position, tuple(functions), expression)
            for position, (functions, expression) in compiler.get_converters(fields).items()
        )
        return _Statement(
            sql=sql,
            params=tuple(params),
            slots=tuple(slots),
            converters=converters,
            make=_maker(queryset, compiler, db),
        )


def padded(values: Sequence[int]) -> list[int]:
    """`values` for an `__in` list, padded to a power of two with repeats of its last, so
    that lists of any length take a few statements (shapes), not one each."""
    found = list(values)
    if not found:
        return found
    size = 1 << (len(found) - 1).bit_length()
    return found + [found[-1]] * (size - len(found))


def _maker(
    queryset: QuerySet[Any], compiler: Any, db: Any
) -> Callable[[Any, list[list[Any]]], list[Any]]:
    """What turns the converted rows into the queryset's results."""
    iterable = queryset._iterable_class
    if iterable is FlatValuesListIterable:
        return lambda db, rows: [row[0] for row in rows]
    if iterable is ValuesListIterable:
        return lambda db, rows: [tuple(row) for row in rows]
    if iterable is ValuesIterable:
        query = queryset.query
        names = (
            list(query.selected)
            if query.selected
            else [*query.extra_select, *query.values_select, *query.annotation_select]
        )
        return lambda db, rows: [dict(zip(names, row, strict=True)) for row in rows]
    if iterable is not ModelIterable:
        raise ValueError(f"a Read cannot give {iterable.__name__} results")
    select, klass_info, annotations = (
        compiler.select,
        compiler.klass_info,
        compiler.annotation_col_map,
    )
    model = klass_info["model"]
    start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
    init_list = [selected[0].target.attname for selected in select[start:end]]
    # Django 5.2's signature (the type stubs already follow a later one).
    populators = get_related_populators(klass_info, select, db.alias)  # type: ignore[call-arg]

    def instances(db: Any, rows: list[list[Any]]) -> list[Any]:
        found = []
        for row in rows:
            obj = model.from_db(db.alias, init_list, row[start:end])
            for populator in populators:
                populator.populate(row, obj)
            for name, position in (annotations or {}).items():
                setattr(obj, name, row[position])
            found.append(obj)
        return found

    return instances
