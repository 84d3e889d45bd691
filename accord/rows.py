"""Rows without the ORM's per-statement query building, for the hot path of intake
(several fresh rows and two small lookups per complaint, at volume: bench/intake.py).

`insert` writes new, unsaved model instances of one model in one INSERT … RETURNING
and gives each its primary key, as `save(force_insert=True)` / `bulk_create` would: the
same columns, the values prepared by each field (`pre_save`, `get_db_prep_save`: JSON,
dates, foreign keys, `auto_now_add`), in the caller's transaction. The statement text is
built once per model, database vendor and row count. It sends `pre_save` and
`post_save` as `save` would, to a model that has receivers (django-tasks-db's task rows
do), and never updates: an instance already saved is refused.
`reserve_pk` takes a new row's key from PostgreSQL's sequence before the row goes in
(so rows that name it can go in first), and `insert_after` writes one row in the same
statement as a WITH clause it reads (intake: the case's number and its row).

`where` reads the rows of one model whose one column has one value (a case's events,
clocks, submissions...; an organisation by its slug) as
`Model.objects.filter(column=value).order_by(...)` would, with the SQL Django compiles
for that query reused: compiling it was most of the cost of such a read (a case's
clocks: 0.50 ms through the ORM, 0.13 ms of it the database's).

`keep_related` holds rows read by hand as an instance's related objects, as
`prefetch_related` would leave them (a case's events and clocks, read once a request)."""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator, Sequence
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection, connections, models
from django.db.models.signals import post_init, post_save, pre_init, pre_save


def table(model: type[models.Model]) -> str:
    """The model's table name, quoted for this database."""
    return str(connection.ops.quote_name(model._meta.db_table))


def column(model: type[models.Model], name: str) -> str:
    """The column of the model's field `name` ("pk" for the primary key), quoted."""
    meta = model._meta
    field = meta.pk if name == "pk" else meta.get_field(name)
    name_in_database = getattr(field, "column", None)
    assert isinstance(name_in_database, str), f"{model.__name__}.{name} has no column"
    return str(connection.ops.quote_name(name_in_database))


@functools.lru_cache(maxsize=64)
def _statement(
    model: type[models.Model], vendor: str, rows: int, with_pk: bool
) -> tuple[str, tuple[Any, ...], tuple[type | None, ...]]:
    fields = tuple(f for f in model._meta.local_concrete_fields if with_pk or not f.primary_key)
    columns = ", ".join(column(model, f.name) for f in fields)
    one = "(" + ", ".join(["%s"] * len(fields)) + ")"
    values = ", ".join([one] * rows)
    into, pk = table(model), column(model, "pk")
    sql = f"INSERT INTO {into} ({columns}) VALUES {values}"  # noqa: S608
    # Keys given (reserved, or made in Python) need nothing back: a batch of them is
    # sent without waiting (`batched`).
    return (sql if with_pk else f"{sql} RETURNING {pk}"), fields, _plain(fields)


# Fields whose preparation for saving gives back a value of this exact type (or None)
# unchanged: their text, number or flag goes in as it is, without the field's calls.
_AS_IT_IS: dict[type[models.Field[Any, Any]], type] = {
    models.CharField: str,
    models.TextField: str,
    models.EmailField: str,
    models.SlugField: str,
    models.BooleanField: bool,
    models.IntegerField: int,
    models.PositiveIntegerField: int,
    models.PositiveSmallIntegerField: int,
    models.SmallIntegerField: int,
    models.BigIntegerField: int,
    models.BigAutoField: int,
    models.AutoField: int,
}


def _plain(fields: tuple[Any, ...]) -> tuple[type | None, ...]:
    """For each field, the type of value that goes in as it is (None: prepare it)."""
    found: list[type | None] = []
    for field in fields:
        target = field.target_field if isinstance(field, models.ForeignKey) else field
        found.append(_AS_IT_IS.get(type(target)))
    return tuple(found)


def insert(objs: Sequence[models.Model]) -> None:
    """INSERT the new instances `objs` (all of one model) and set their primary keys.
    Instances whose key is already set (`reserve_pk`, or a key made in Python such as a
    UUID) go in with it; then all of them must have one."""
    if not objs:
        return
    model = type(objs[0])
    db = connections[DEFAULT_DB_ALIAS]  # the connection itself, not the proxy, per value
    with_pk = objs[0].pk is not None
    sql, fields, plain = _statement(model, db.vendor, len(objs), with_pk)
    params: list[Any] = []
    signalled = pre_save.has_listeners(model) or post_save.has_listeners(model)
    for obj in objs:
        if type(obj) is not model or not obj._state.adding or (obj.pk is not None) != with_pk:
            raise ValueError(f"insert takes new {model.__name__} instances only")
        if signalled:
            pre_save.send(model, instance=obj, raw=False, using=db.alias, update_fields=None)
        for field, kind in zip(fields, plain, strict=True):
            value = getattr(obj, field.attname)
            if kind is None or not (value is None or type(value) is kind):
                value = field.get_db_prep_save(field.pre_save(obj, True), db)
            params.append(value)
    with db.cursor() as cursor:
        cursor.execute(sql, params)
        if not with_pk:
            ids = [row[0] for row in cursor.fetchall()]
            if len(ids) != len(objs):
                raise RuntimeError(f"{model.__name__}: {len(objs)} rows, {len(ids)} ids back")
            for obj, pk in zip(objs, sorted(ids), strict=True):
                obj.pk = pk
    for obj in objs:
        obj._state.adding = False
        obj._state.db = db.alias
        if signalled:
            post_save.send(
                model, instance=obj, created=True, update_fields=None, raw=False, using=db.alias
            )


def insert_after(
    obj: models.Model,
    source: tuple[str, list[Any]],
    expressions: dict[str, tuple[str, list[Any]]],
) -> tuple[Any, ...]:
    """INSERT the new instance `obj` (its key reserved) in one statement with `source`, a
    WITH clause that makes the one row named `source_row` (PostgreSQL: a data-modifying
    one may write); each field named in `expressions` takes that SQL expression, which
    may read `source_row`, instead of the instance's value. Returns those fields' stored
    values, in the order given, and sets them on `obj`."""
    model = type(obj)
    db = connections[DEFAULT_DB_ALIAS]
    if obj.pk is None or not obj._state.adding:
        raise ValueError(f"insert_after takes a new {model.__name__} with its key reserved")
    shape = tuple((name, expression) for name, (expression, _) in expressions.items())
    sql, fields = _after_statement(model, db.vendor, source[0], shape)
    params = list(source[1])
    for field in fields:
        if field.name in expressions:
            params += expressions[field.name][1]
        else:
            params.append(field.get_db_prep_save(field.pre_save(obj, True), db))
    with db.cursor() as cursor:
        cursor.execute(sql, params)
        row = tuple(cursor.fetchone())
    attnames = {f.name: f.attname for f in fields}
    for name, value in zip(expressions, row, strict=True):
        setattr(obj, attnames[name], value)
    obj._state.adding = False
    obj._state.db = db.alias
    return row


@functools.lru_cache(maxsize=16)
def _after_statement(
    model: type[models.Model], vendor: str, with_sql: str, expressions: tuple[tuple[str, str], ...]
) -> tuple[str, tuple[Any, ...]]:
    _, fields, _ = _statement(model, vendor, 1, True)
    given = dict(expressions)
    values = ", ".join(given.get(f.name, "%s") for f in fields)
    names = ", ".join(column(model, f.name) for f in fields)
    returned = ", ".join(column(model, name) for name in given)
    sql = (
        f"{with_sql} INSERT INTO {table(model)} ({names}) "  # noqa: S608
        f"SELECT {values} FROM source_row RETURNING {returned}"
    )
    return sql, fields


def reserve_pk(*objs: models.Model) -> bool:
    """Give the new instances `objs` the primary keys their rows will have, taken now
    from the database's sequences in one statement, where the database hands keys out
    ahead of their rows (PostgreSQL); False, and no keys, where a key only comes with
    its row (SQLite). Rows that name them can then go in before them (foreign keys are
    checked at commit), and none of the inserts waits for a key back (`batched`)."""
    db = connections[DEFAULT_DB_ALIAS]
    if db.vendor != "postgresql":
        return False
    for obj in objs:
        if not obj._state.adding or obj.pk is not None:
            raise ValueError(f"reserve_pk takes new instances, not {type(obj).__name__} {obj.pk}")
    sql = "SELECT " + ", ".join(["nextval(pg_get_serial_sequence(%s, %s))"] * len(objs))
    params = [name for obj in objs for name in (obj._meta.db_table, obj._meta.pk.column)]
    with db.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    for obj, pk in zip(objs, row, strict=True):
        obj.pk = int(pk)
    return True


@contextlib.contextmanager
def batched() -> Iterator[None]:
    """Send the statements made inside together and wait for the database's answers
    once, at the end (PostgreSQL's pipeline mode): the inserts of rows whose keys are
    known, one round trip instead of one each. A statement whose result is read inside
    waits for it there. Elsewhere (SQLite, in this process) they simply run in turn. An
    error is raised at the end, as Django's own error (an IntegrityError...)."""
    db = connections[DEFAULT_DB_ALIAS]
    if db.vendor != "postgresql":
        yield
        return
    db.ensure_connection()
    with db.wrap_database_errors, db.connection.pipeline():
        yield


_PROBE = 987_654_321  # the value the statement is first compiled with


@functools.lru_cache(maxsize=128)
def _where_statement(
    model: type[models.Model], column: str, probe: Any, order_by: tuple[str, ...], alias: str
) -> tuple[str, list[str], dict[int, Any]]:
    """Django's own SQL for the read (select list, the model's ordering or `order_by`,
    quoting), its column order and its value converters, compiled once."""
    field = next((f for f in model._meta.concrete_fields if f.name == column), None)
    if field is None:
        raise ValueError(f"{model.__name__}.{column}: not a column of the model")
    queryset = model._base_manager.using(alias).filter(**{column: probe})
    if order_by:
        queryset = queryset.order_by(*order_by)
    compiler = queryset.query.get_compiler(using=alias)
    sql, params = compiler.as_sql()
    selected = [col for col, _, _ in compiler.select]
    names = [col.target.attname for col in selected]
    if list(params) != [probe] or names != [f.attname for f in model._meta.concrete_fields]:
        raise ValueError(f"{model.__name__}.{column}: not a plain read of whole rows")
    return sql, names, compiler.get_converters(selected)


def where(
    model: type[models.Model], column: str, value: int | str, order_by: Sequence[str] = ()
) -> list[Any]:
    """Every `model` row whose field `column` (a foreign key: the parent's id) is
    `value`, ordered by `order_by` (the model's own ordering if empty): what
    `model.objects.filter(**{column: value}).order_by(*order_by)` gives."""
    if pre_init.has_listeners(model) or post_init.has_listeners(model):
        raise ValueError(f"{model.__name__} has init signals; read it through the ORM")
    db = connections[DEFAULT_DB_ALIAS]
    probe = _PROBE if isinstance(value, int) else str(_PROBE)
    sql, names, converters = _where_statement(model, column, probe, tuple(order_by), db.alias)
    with db.cursor() as cursor:
        cursor.execute(sql, [value])
        found = cursor.fetchall()
    objs = []
    for row in found:
        if converters:
            values = list(row)
            for position, (functions, expression) in converters.items():
                for convert in functions:
                    values[position] = convert(values[position], expression, db)
            row = values
        objs.append(_loaded(model, db.alias, names, row))
    return objs


def _loaded(model: type[models.Model], alias: str, names: list[str], row: Sequence[Any]) -> Any:
    """The instance `model.from_db` would make of a whole row, without `Model.__init__`
    (a fifth of a 200-event read): the values set as `__init__` sets them for a model
    with no init signals, the state of a row loaded from `alias`."""
    obj = model.__new__(model)
    obj.__dict__.update(zip(names, row, strict=True))
    state = models.base.ModelState()
    state.adding, state.db = False, alias
    obj._state = state
    return obj


def keep_related(instance: models.Model, name: str, objs: Sequence[Any]) -> None:
    """Hold `objs` as `instance`'s related objects `name` (a reverse foreign key), as
    `prefetch_related` leaves them: `getattr(instance, name).all()` answers from them
    without a query, until `forget_related`. Each object's foreign key to `instance`
    answers with `instance`, as after a prefetch."""
    manager: Any = getattr(instance, name)
    for obj in objs:
        manager.field.set_cached_value(obj, instance)
    queryset = manager.all()
    queryset._result_cache = list(objs)
    queryset._prefetch_done = True
    instance.__dict__.setdefault("_prefetched_objects_cache", {})[name] = queryset


def kept_related(instance: models.Model, name: str) -> list[Any] | None:
    """The related objects `name` held for `instance`, or None if none are."""
    queryset = getattr(instance, "_prefetched_objects_cache", {}).get(name)
    return None if queryset is None else list(queryset._result_cache)


def forget_related(instance: models.Model, name: str) -> None:
    getattr(instance, "_prefetched_objects_cache", {}).pop(name, None)
