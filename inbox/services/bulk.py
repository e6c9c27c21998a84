"""Set-based writes for the ingest hot path: the one module that goes below the ORM.

Django's `bulk_create` / `bulk_update` compile every row through the ORM (and `bulk_update` builds one
large CASE expression); for thousands of messages per page that compilation costs far more than the
database work itself. The "raw" path prepares each column with the field's own database conversion
and sends the rows in as few statements as each database handles best; it uses backend internals
(`ops.adapt_*`, driver cursors, COPY). `BULK_WRITES=orm` selects plain `bulk_create(ignore_conflicts=
True)` / `bulk_update` instead, with the same results (a Django upgrade that breaks the raw path has a
way back without a code change). One public function per operation; both paths run the ingest tests.
"""

import gc
import json
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, date
from enum import Enum
from itertools import chain
from operator import itemgetter
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections, models
from django.db.backends.base.base import BaseDatabaseWrapper

ValueConverter = Callable[[Any], Any]
SQLITE_ROWS_PER_STATEMENT = 500
# Parameters per `UPDATE … FROM (VALUES …)` on PostgreSQL: under the protocol's 65,535 of a statement.
POSTGRESQL_PARAMETERS_PER_STATEMENT = 30_000
# Field classes whose Python values the drivers take unchanged on both databases.
PASS_THROUGH = (
    models.CharField,
    models.TextField,
    models.IntegerField,
    models.BooleanField,
    models.ForeignKey,
)


def _converter(field: models.Field, database: BaseDatabaseWrapper) -> ValueConverter | None:
    """None when the driver takes the Python value as it is."""
    if isinstance(field, PASS_THROUGH) and not isinstance(field, models.AutoField):
        return None
    if isinstance(field, models.JSONField):
        if database.vendor == "postgresql":
            # JSON text: COPY and the casts of `_raw_update` hand it to the server to parse, where a
            # Jsonb wrapper would run psycopg's dumper once per row (8 % of a PostgreSQL page).
            encoder = field.encoder
            empty_text = json.dumps([], cls=encoder)
            return lambda value: (
                None if value is None else empty_text if value == [] else json.dumps(value, cls=encoder)
            )
        adapt_json = database.ops.adapt_json_value
        # Most messages carry no attachments: encode the empty list once, not once per row.
        empty_list = adapt_json([], field.encoder)
        return lambda value: (
            None if value is None else empty_list if value == [] else adapt_json(value, field.encoder)
        )
    if isinstance(field, models.DateTimeField):
        adapt_datetime = database.ops.adapt_datetimefield_value
        if database.vendor == "sqlite" and settings.USE_TZ and database.timezone == UTC:
            # What Django's adaptation yields for an aware value (UTC wall time as text), without its
            # per-call checks; naive values still go through Django.
            return lambda value: (
                None
                if value is None
                else value.isoformat(" ")[:-6]
                if value.tzinfo is UTC
                else value.astimezone(UTC).isoformat(" ")[:-6]
                if value.tzinfo is not None
                else adapt_datetime(value)
            )
        return lambda value: None if value is None else adapt_datetime(value)
    if isinstance(field, models.DateField):
        # A plain date goes straight to the backend's adaptation; anything else (a datetime, text) through
        # the field, which turns it into a date first.
        adapt_date = database.ops.adapt_datefield_value
        return lambda value: (
            None
            if value is None
            else adapt_date(value)
            if type(value) is date
            else field.get_db_prep_save(value, database)
        )
    return lambda value: None if value is None else field.get_db_prep_save(value, database)


def _value_for_missing(field: models.Field, database: BaseDatabaseWrapper, *, now: Any) -> Any:
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        value = now
    elif field.has_default() and callable(field.default):
        raise ValueError(f"{field.attname} has a per-row default; give it in every row")
    else:
        value = field.get_default()
    if isinstance(value, Enum):
        # A choices member (a str/int subclass) is stored as its plain value, as the ORM stores it.
        value = value.value
    convert = _converter(field, database)
    return value if convert is None else convert(value)


@contextmanager
def collector_paused() -> Iterator[None]:
    """No cyclic garbage collection while one page is applied.

    A page allocates tens of thousands of short-lived, acyclic objects (rows, tuples, values), and each
    of them counts toward the collector's thresholds: the full collections they set off traverse every
    object the process holds, and took 45 % of a page's time (16,000 -> 29,000 messages/s on SQLite
    with the collector paused). Reference counting still frees all of it as it goes; anything cyclic
    waits for the next collection after the page. Only the outermost pause turns the collector back on,
    and only if it was on.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _orm_writes() -> bool:
    return settings.BULK_WRITES == "orm"


def rows_insert_ignoring_conflicts(
    *, model: type[models.Model], rows: Sequence[Mapping[str, Any]], now: Any
) -> int:
    """Insert `rows` (dicts keyed by field attname, all with the same keys); rows that hit a unique
    constraint are skipped.

    Columns the rows leave out take the field's constant default (`auto_now`/`auto_now_add` fields
    take `now`); a field whose default is a callable must be given. Returns how many rows were inserted.
    """
    if not rows:
        return 0
    if _orm_writes():
        return _orm_insert(model=model, rows=rows, now=now)
    return _raw_insert(model=model, rows=rows, now=now, skip_conflicts=True)


def rows_insert_new(*, model: type[models.Model], rows: Sequence[Mapping[str, Any]], now: Any) -> int:
    """Insert `rows` that no stored row can conflict with, as `rows_insert_ignoring_conflicts` does
    otherwise: the rows of chats created by the caller's own transaction (no other transaction sees
    those chats before it commits), without duplicates among themselves.

    On PostgreSQL they are copied straight into the table: `ON CONFLICT` checks every row's key
    speculatively, and the staging table moves every row twice (a 50,000-message backfill went from
    20,024 to 24,641 messages/s; SQLite, without the clause, from 29,470 to 33,147). A conflict raises
    IntegrityError, and the caller's transaction rolls back, rather than being skipped.
    """
    if not rows:
        return 0
    if _orm_writes():
        model.objects.bulk_create([model(**row) for row in rows])
        return len(rows)
    return _raw_insert(model=model, rows=rows, now=now, skip_conflicts=False)


def rows_insert_of_chats(
    *, model: type[models.Model], rows: Sequence[Mapping[str, Any]], now: Any, new_chat_ids: set[int]
) -> int:
    """Insert rows that each belong to a chat (`chat_id`): those of `new_chat_ids`, chats the caller's
    transaction created, go straight in (`rows_insert_new`); the others skip the rows already stored
    (`rows_insert_ignoring_conflicts`). Returns how many rows were inserted."""
    new_chat_rows = [row for row in rows if row["chat_id"] in new_chat_ids]
    inserted = rows_insert_new(model=model, rows=new_chat_rows, now=now)
    if len(new_chat_rows) < len(rows):
        inserted += rows_insert_ignoring_conflicts(
            model=model, rows=[row for row in rows if row["chat_id"] not in new_chat_ids], now=now
        )
    return inserted


def rows_update_by_pk(
    *, model: type[models.Model], field_names: Sequence[str], rows: Iterable[tuple[int, Sequence[Any]]]
) -> int:
    """Set `field_names` to the given values on each row `(pk, values)`; one prepared UPDATE for all."""
    rows = list(rows)
    if not rows:
        return 0
    if _orm_writes():
        objects = [model(pk=pk, **dict(zip(field_names, values, strict=True))) for pk, values in rows]
        model.objects.bulk_update(objects, list(field_names))
        return len(rows)
    return _raw_update(model=model, field_names=field_names, rows=rows)


def _unique_key_fields(model: type[models.Model], given: set[str]) -> list[str]:
    """The attnames of the model's first unconditional unique constraint the rows fill."""
    for constraint in model._meta.constraints:
        if (
            isinstance(constraint, models.UniqueConstraint)
            and constraint.fields
            and constraint.condition is None
        ):
            names = [model._meta.get_field(name).attname for name in constraint.fields]
            if set(names) <= given:
                return names
    return []


def _orm_insert(*, model: type[models.Model], rows: Sequence[Mapping[str, Any]], now: Any) -> int:
    """`bulk_create(ignore_conflicts=True)`; the inserted count comes from the unique key (the
    database does not report it through the ORM), which is exact while the caller holds the lease."""
    given = set(rows[0])
    for field in model._meta.concrete_fields:
        if field.attname not in given and field.has_default() and callable(field.default):
            raise ValueError(f"{field.attname} has a per-row default; give it in every row")
    key_names = _unique_key_fields(model, given)
    keys = {tuple(row[name] for name in key_names) for row in rows} if key_names else set()
    existing: set[tuple[Any, ...]] = set()
    if key_names:
        lookup = {f"{name}__in": {row[name] for row in rows} for name in key_names}
        existing = set(model.objects.filter(**lookup).values_list(*key_names)) & keys
    # `auto_now`/`auto_now_add` fields take the insert time here (the ORM sets them), not `now`.
    model.objects.bulk_create([model(**row) for row in rows], ignore_conflicts=True)
    if not key_names:
        return len(rows)
    null_keys = sum(1 for row in rows if any(row[name] is None for name in key_names))
    return len({key for key in keys if None not in key} - existing) + null_keys


def _raw_insert(
    *, model: type[models.Model], rows: Sequence[Mapping[str, Any]], now: Any, skip_conflicts: bool
) -> int:
    database = connections[DEFAULT_DB_ALIAS]
    given = set(rows[0])
    plain: list[models.Field] = []
    converted: list[tuple[models.Field, ValueConverter]] = []
    constant: list[models.Field] = []
    for field in model._meta.concrete_fields:
        if isinstance(field, models.AutoField):
            continue
        if field.attname not in given:
            constant.append(field)
            continue
        convert = _converter(field, database)
        if convert is None:
            plain.append(field)
        else:
            converted.append((field, convert))
    fields = [*plain, *(field for field, _convert in converted), *constant]
    constants = tuple(_value_for_missing(field, database, now=now) for field in constant)
    # itemgetter of a single name returns the bare value, not a tuple.
    plain_values = itemgetter(*(field.attname for field in plain)) if len(plain) > 1 else None
    single_plain = plain[0].attname if len(plain) == 1 else None
    conversions = [(field.attname, convert) for field, convert in converted]
    rows_values: list[list[Any]] = []
    for row in rows:
        if plain_values is not None:
            values = list(plain_values(row))
        else:
            values = [row[single_plain]] if single_plain is not None else []
        for name, convert in conversions:
            values.append(convert(row[name]))
        values.extend(constants)
        rows_values.append(values)

    table = database.ops.quote_name(model._meta.db_table)
    if database.vendor == "postgresql":
        if not skip_conflicts:
            return _postgresql_copy(database, table=table, fields=fields, rows_values=rows_values)
        return _postgresql_insert(database, model=model, table=table, fields=fields, rows_values=rows_values)
    return _sqlite_insert(
        database, table=table, fields=fields, rows_values=rows_values, skip_conflicts=skip_conflicts
    )


def _sqlite_insert(
    database: BaseDatabaseWrapper,
    *,
    table: str,
    fields: list[models.Field],
    rows_values: list[list[Any]],
    skip_conflicts: bool,
) -> int:
    """Multi-row VALUES statements: per statement (not per row) SQLite runs its statement start-up and
    AUTOINCREMENT bookkeeping, about a third of the insert cost for rows this size."""
    import sqlite3

    database.ensure_connection()
    variable_limit = database.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    width = len(fields)
    rows_per_statement = max(1, min(SQLITE_ROWS_PER_STATEMENT, variable_limit // width))
    columns = ", ".join(database.ops.quote_name(field.column) for field in fields)
    if database.queries_logged:
        # Query logging (DEBUG, tests) formats the SQL with Django's "%s" placeholders.
        row_placeholder = "(" + ", ".join(["%s"] * width) + ")"
        cursor = database.cursor()
    else:
        # The driver's own "?" placeholders on a driver cursor (wrapped like Django's, so execute_wrapper
        # hooks still see it): Django's SQLite cursor would first rewrite every "%s" of each
        # multi-thousand-parameter statement with a regular expression.
        row_placeholder = "(" + ", ".join(["?"] * width) + ")"
        cursor = database.make_cursor(database.connection.cursor())
    inserted = 0
    with cursor:
        for start in range(0, len(rows_values), rows_per_statement):
            chunk = rows_values[start : start + rows_per_statement]
            # Identifiers come from the model's metadata, quoted by the backend; values are parameters.
            sql = (
                f"INSERT INTO {table} ({columns}) VALUES {', '.join([row_placeholder] * len(chunk))}"  # noqa: S608
                + (" ON CONFLICT DO NOTHING" if skip_conflicts else "")
            )
            cursor.execute(sql, list(chain.from_iterable(chunk)))
            inserted += _reported(cursor.rowcount, fallback=len(chunk))
    return inserted


def _postgresql_insert(
    database: BaseDatabaseWrapper,
    *,
    model: type[models.Model],
    table: str,
    fields: list[models.Field],
    rows_values: list[list[Any]],
) -> int:
    """COPY the rows into a session-local staging table, then move them with one
    `INSERT … SELECT … ON CONFLICT DO NOTHING`.

    COPY streams rows through psycopg's C row formatter. The alternatives measured slower: per-row
    statements cost the server an executor start each, a multi-row VALUES list a parse of tens of
    thousands of parameters, array parameters a Python loop per element in psycopg's list dumper.
    """
    staging = database.ops.quote_name(f"{model._meta.db_table}_staging")
    all_columns = ", ".join(
        database.ops.quote_name(field.column)
        for field in model._meta.concrete_fields
        if not isinstance(field, models.AutoField)
    )
    columns = ", ".join(database.ops.quote_name(field.column) for field in fields)
    database.ensure_connection()
    with database.wrap_database_errors, database.connection.cursor() as driver_cursor:
        # Created inside the caller's transaction (a rollback drops it again), so it is asked for every
        # time; emptied by the move below, and by the database at commit in any case.
        driver_cursor.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {staging} ON COMMIT DELETE ROWS "  # noqa: S608
            f"AS SELECT {all_columns} FROM {table} WITH NO DATA"
        )
        with driver_cursor.copy(f"COPY {staging} ({columns}) FROM STDIN") as copy:
            for row in rows_values:
                copy.write_row(row)
    # Wrapped like Django's own cursors, so query logging and execute_wrapper hooks see the move.
    cursor = database.cursor()
    with cursor:
        cursor.execute(
            f"WITH moved AS (DELETE FROM {staging} RETURNING {columns}) "  # noqa: S608
            f"INSERT INTO {table} ({columns}) SELECT {columns} FROM moved ON CONFLICT DO NOTHING"
        )
        return _reported(cursor.rowcount, fallback=len(rows_values))


def _postgresql_copy(
    database: BaseDatabaseWrapper, *, table: str, fields: list[models.Field], rows_values: list[list[Any]]
) -> int:
    columns = ", ".join(database.ops.quote_name(field.column) for field in fields)
    statement = f"COPY {table} ({columns}) FROM STDIN"
    database.ensure_connection()
    started = time.monotonic()
    # The driver's cursor, as for the staging COPY: Django's cursors have no COPY. Its errors become
    # Django's (IntegrityError on a conflict), as from any other statement.
    with (
        database.wrap_database_errors,
        database.connection.cursor() as driver_cursor,
        driver_cursor.copy(statement) as copy,
    ):
        for row in rows_values:
            copy.write_row(row)
    if database.queries_logged:
        # Logged as Django logs its own statements, so query counts (tests, debug toolbar) see it.
        database.queries_log.append(
            {"sql": f"{statement} -- {len(rows_values)} rows", "time": f"{time.monotonic() - started:.3f}"}
        )
    return len(rows_values)


def _reported(rowcount: int | None, *, fallback: int) -> int:
    return rowcount if rowcount is not None and rowcount >= 0 else fallback


def _raw_update(
    *, model: type[models.Model], field_names: Sequence[str], rows: list[tuple[int, Sequence[Any]]]
) -> int:
    database = connections[DEFAULT_DB_ALIAS]
    fields = [model._meta.get_field(name) for name in field_names]
    converters = [_converter(field, database) or (lambda value: value) for field in fields]
    table = database.ops.quote_name(model._meta.db_table)
    primary_key = database.ops.quote_name(model._meta.pk.column)
    parameters = [
        [convert(value) for convert, value in zip(converters, values, strict=True)] + [pk]
        for pk, values in rows
    ]
    if database.vendor == "postgresql":
        return _postgresql_update(
            database, model=model, table=table, primary_key=primary_key, fields=fields, parameters=parameters
        )
    assignments = ", ".join(f"{database.ops.quote_name(field.column)} = %s" for field in fields)
    sql = f"UPDATE {table} SET {assignments} WHERE {primary_key} = %s"  # noqa: S608
    with database.cursor() as cursor:
        cursor.executemany(sql, parameters)
    return len(rows)


def _postgresql_update(
    database: BaseDatabaseWrapper,
    *,
    model: type[models.Model],
    table: str,
    primary_key: str,
    fields: list[models.Field],
    parameters: list[list[Any]],
) -> int:
    """One `UPDATE … FROM (VALUES …)` per chunk: a prepared UPDATE per row cost the server an executor
    start each (7 % of a PostgreSQL page for two chat updates of 120 rows). The first row's casts give
    the VALUES list its column types."""
    quote = database.ops.quote_name
    columns = [quote(f"column_{index}") for index in range(len(fields))]
    casts = [field.db_type(database) for field in fields] + [model._meta.pk.rel_db_type(database)]
    width = len(casts)
    first_row = "(" + ", ".join(f"%s::{cast}" for cast in casts) + ")"
    other_row = "(" + ", ".join(["%s"] * width) + ")"
    assignments = ", ".join(
        f"{quote(field.column)} = incoming.{column}" for field, column in zip(fields, columns, strict=True)
    )
    rows_per_statement = max(1, POSTGRESQL_PARAMETERS_PER_STATEMENT // width)
    names = ", ".join([*columns, "incoming_key"])
    with database.cursor() as cursor:
        for start in range(0, len(parameters), rows_per_statement):
            chunk = parameters[start : start + rows_per_statement]
            values = ", ".join([first_row] + [other_row] * (len(chunk) - 1))
            # Identifiers and types come from the model's metadata; values are parameters.
            cursor.execute(
                f"UPDATE {table} SET {assignments} FROM (VALUES {values}) AS incoming ({names}) "  # noqa: S608
                f"WHERE {table}.{primary_key} = incoming.incoming_key",
                [value for row in chunk for value in row],
            )
    return len(parameters)
