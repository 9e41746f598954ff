"""Column types and helpers shared by every domain's models."""
from __future__ import annotations

import functools
import re
import time
from collections import namedtuple
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from types import SimpleNamespace

from sqlalchemy import DateTime, Insert, Update, bindparam, event, exc
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from sqlalchemy.types import TypeDecorator

from app import clock


class UTCDateTime(TypeDecorator):
    """Aware UTC datetimes on both SQLite (stored naive UTC) and PostgreSQL (timestamptz)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def utcnow() -> datetime:
    """Column default: the app clock, so frozen test time reaches the database too."""
    return clock.now()


def _is_sqlite_dbapi(dbapi_connection) -> bool:
    return type(dbapi_connection).__module__.startswith("sqlite3")


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):
    """SQLite: enforce foreign keys; WAL and a busy timeout so parallel writers queue, not fail."""
    if not _is_sqlite_dbapi(dbapi_connection):
        return
    # Let SQLAlchemy emit BEGIN itself (the pysqlite recipe in SQLAlchemy's SQLite docs).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    # The busy timeout first: even switching to WAL must wait for other connections' locks.
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


@event.listens_for(Engine, "begin")
def _sqlite_begin(conn):
    """SQLite: writers take the write lock up front (BEGIN IMMEDIATE) so a transaction that
    read first never fails to upgrade its lock; plain page reads stay deferred and concurrent."""
    if conn.dialect.name != "sqlite":
        return
    from flask import has_request_context, request

    if has_request_context() and request.method in ("GET", "HEAD"):
        conn.exec_driver_sql("BEGIN")
    else:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


# --- read transactions end with COMMIT ---------------------------------------------------------
# psycopg forgets every prepared statement on ROLLBACK (a rolled-back transaction may have
# dropped what they name). A session that is closed rolls back, so before this every request
# lost its prepared statements and PostgreSQL planned each query anew: planning a product
# page's join took 1.5–2.5 ms against 0.2 ms to run it prepared. A request that only read
# commits instead (the same to the database: nothing was written), and psycopg keeps them.
# Any statement that is not a SELECT, and any flush, marks the transaction as writing: that
# one still ends as it always did (committed by the code, or rolled back).
_WROTE = "yt_wrote"


@event.listens_for(Session, "do_orm_execute")
def _note_statement(state) -> None:
    if not state.is_select:
        state.session.info[_WROTE] = True


@event.listens_for(Session, "after_flush")
def _note_flush(session, flush_context) -> None:
    session.info[_WROTE] = True


@event.listens_for(Session, "after_transaction_end")
def _forget_writes(session, transaction) -> None:
    if transaction.parent is None:
        session.info.pop(_WROTE, None)


def set_local(setting: str) -> None:
    """`SET LOCAL <setting>` on the session (a planner setting for the statements that follow,
    in this transaction). It begins the transaction (it is no plain SELECT) but writes
    nothing: a request that otherwise only read still ends with COMMIT and keeps its prepared
    statements. Anything else the transaction does still counts."""
    from sqlalchemy import text

    from app.extensions import db

    session = db.session()
    wrote = session.info.get(_WROTE)
    session.execute(text(f"SET LOCAL {setting}"))
    if not wrote:
        session.info.pop(_WROTE, None)


def end_reads_with_commit(app) -> None:
    """Register the teardown (after Flask-SQLAlchemy's init_app, so it runs before the
    session is removed) that commits a context's transaction when all it did was read."""
    from app.extensions import db

    def commit_reads(exc: BaseException | None) -> None:
        if exc is not None or not db.session.registry.has():
            return
        session = db.session()
        if (session.in_transaction() and not session.info.get(_WROTE)
                and not (session.new or session.dirty or session.deleted)):
            session.commit()

    app.teardown_appcontext(commit_reads)


# --- transactions begin at the first write (PostgreSQL) ----------------------------------------
# A page that only reads needs no transaction: under READ COMMITTED every statement takes its
# own snapshot anyway, so reading outside one sees exactly what it would inside. Connections
# sit in autocommit mode; the first statement that writes or locks rows (anything but a plain
# SELECT, or a SELECT … FOR UPDATE/SHARE) turns it off just before it runs, so psycopg sends
# BEGIN and everything from there is one transaction, committed or rolled back as the code
# says. A read request so saves three round trips (the BEGIN before the pool's ping, the
# BEGIN before its first query, the COMMIT/ROLLBACK), each of them a wait for the GIL under
# load. A connection that asked for AUTOCOMMIT itself (Alembic's autocommit_block) is left so.
_LOCKING_READ = re.compile(r"\bFOR (?:UPDATE|NO KEY UPDATE|SHARE|KEY SHARE)\b")
_WRITING = re.compile(r"\b(?:INSERT|UPDATE|DELETE|MERGE)\b")
_READS: dict[str, bool] = {}  # statement text → only reads (the app's statements are few)


def only_reads(statement: str) -> bool:
    """A plain SELECT (or WITH … SELECT) that writes nothing and locks no row."""
    known = _READS.get(statement)
    if known is None:
        head = statement.lstrip()[:6].upper()
        known = ((head == "SELECT" or head.startswith("WITH"))
                 and not _LOCKING_READ.search(statement)
                 and (head == "SELECT" or not _WRITING.search(statement)))
        if len(_READS) < 5000:
            _READS[statement] = known
    return known


def begin_now(dbapi_connection) -> None:
    """Leave autocommit: the next statement begins a transaction (psycopg sends BEGIN)."""
    if getattr(dbapi_connection, "autocommit", False):
        dbapi_connection.autocommit = False


def begin_at_first_write(engine) -> None:
    """Install the above on a PostgreSQL (psycopg) engine."""
    if engine.dialect.name != "postgresql":
        return

    @event.listens_for(engine, "connect")
    def _start_in_autocommit(dbapi_connection, connection_record) -> None:
        dbapi_connection.autocommit = True

    @event.listens_for(engine, "checkin")
    def _back_to_autocommit(dbapi_connection, connection_record) -> None:
        # after the pool's reset (rollback) and SQLAlchemy's own isolation reset
        if dbapi_connection is not None and not dbapi_connection.closed and \
                dbapi_connection.info.transaction_status == 0:  # IDLE
            dbapi_connection.autocommit = True

    @event.listens_for(engine, "before_cursor_execute")
    def _begin_before_writing(conn, cursor, statement, parameters, context,
                              executemany) -> None:
        raw = cursor.connection
        if raw.autocommit and not only_reads(statement) and \
                conn.get_execution_options().get("isolation_level") != "AUTOCOMMIT":
            raw.autocommit = False


# --- a connection is pinged when it has sat idle (PostgreSQL) ------------------------------------
# pool_pre_ping costs every request a round trip (SELECT 1: ~0.25 ms wall, ~0.2 ms of CPU and a
# wait for the GIL under load). A connection back in the pool a moment ago is as alive as it
# was then; one idle for a while may have been closed by a server restart, a proxy or a
# timeout. So only those are pinged before use; a dead one is replaced (the pool retries the
# checkout). A connection that dies within the idle window fails its request, and SQLAlchemy
# then replaces the pool's connections (as it does for any disconnect).
PING_AFTER_IDLE_SECONDS = 5.0
_IDLE_SINCE = "yt_idle_since"


def ping_after_idle(engine, seconds: float = PING_AFTER_IDLE_SECONDS) -> None:
    """Install the above on a PostgreSQL engine (created with pool_pre_ping off)."""
    if engine.dialect.name != "postgresql":
        return

    @event.listens_for(engine, "checkin")
    def _note_idle(dbapi_connection, connection_record) -> None:
        connection_record.info[_IDLE_SINCE] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_connection, connection_record, connection_proxy) -> None:
        since = connection_record.info.get(_IDLE_SINCE)
        if since is None or time.monotonic() - since < seconds:
            return  # new, or used a moment ago
        try:
            with dbapi_connection.cursor() as cursor:
                cursor.execute("SELECT 1")
        except Exception as error:  # any failure: this connection is not to be trusted
            raise exc.DisconnectionError(f"idle connection failed its ping: {error}") from error


def is_postgres() -> bool:
    from app.extensions import db

    return db.engine.dialect.name == "postgresql"


# --- hot rows ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Bound:
    """A statement built once with bind parameters (functools.cache) and this use's values:
    building a statement and its cache key on every call costs more Python than running it
    (a hot step's UPDATE or upsert: ~0.5 ms of CPU each)."""

    statement: Update | Insert
    params: dict


@dataclass
class HotStep:
    """One statement on a contended row (a flash sale's units, a product's stock) or the
    buyer's own conditional row (an allowance's upsert, with RETURNING). With a `refusal`, it
    must change exactly one row, else the whole transaction is refused with that error."""

    statement: Update | Insert | Bound
    refusal: Exception | None = None

    def parts(self) -> tuple[Update | Insert, dict | None]:
        if isinstance(self.statement, Bound):
            return self.statement.statement, self.statement.params
        return self.statement, None


_REFUSED = re.compile(r"hot-step-refused:(\d+)")


def commit_hot(steps: list[HotStep], rows: Sequence[object] = ()) -> None:
    """Insert `rows` (new ORM objects, not in the session, their keys set: parents first),
    run `steps` in order as the transaction's last statements, then commit. The rows join
    the session afterwards, as if loaded (what they were not given reads as expired).

    A row a statement updates stays locked until the commit. On PostgreSQL the steps and the
    COMMIT go to the server as one message (one query string, the values bound by psycopg on
    this side): a hot row is locked for the server's own time only, never while this thread
    waits for the GIL or the CPU between statements (under load that wait, not the database,
    was what made a 100-unit flash sale take seconds: each buyer held the sale's row for
    ~70 ms; psycopg's pipeline mode still sends each statement as it is queued, and the GIL
    can change hands between them). Each conditional step is wrapped so that a row count
    other than 1 raises in the server; the statements after a failed one (the COMMIT
    included) are skipped, the transaction is rolled back and the step's refusal is raised.
    Elsewhere (SQLite) the steps run one by one and the row counts decide (a refusal rolls
    back), then the commit."""
    from app.extensions import db

    if not is_postgres():
        if rows:
            db.session.add_all(rows)
            db.session.flush()
        for step in steps:
            statement, params = step.parts()
            result = db.session.execute(statement, params)
            # an upsert's row count is not reliable across drivers: its RETURNING rows are
            changed = (len(result.all()) if statement.returning_column_descriptions
                       else result.rowcount)
            if step.refusal is not None and changed != 1:
                db.session.rollback()
                raise step.refusal
        db.session.commit()
        return
    import psycopg
    from sqlalchemy import inspect
    from sqlalchemy.exc import IntegrityError

    session = db.session()
    # New rows only (an order, its lines …) go in one pipelined round trip: rows whose ids
    # the caller set (`prefetch_ids`) are INSERTed without RETURNING, so nothing waits for
    # them. A row without its id (RETURNING) or an UPDATE (the ORM checks its row count)
    # needs answers the pipeline gives only at its end: then the flush is the usual one.
    inline = not session.dirty and not session.deleted and all(
        None not in inspect(row).mapper.primary_key_from_instance(row) for row in session.new)
    if not inline:
        session.flush()
    dialect = db.engine.dialect
    inserts = [_insert_values(row, dialect) for row in rows]
    ready = inserts + [_compiled(*step.parts(), dialect,
                                 index if step.refusal is not None else None)
                       for index, step in enumerate(steps)]
    raw = session.connection().connection.driver_connection
    begin_now(raw)  # the hot steps and their COMMIT run in the transaction, whatever came before
    binder = psycopg.ClientCursor(raw)
    message = "; ".join([*(binder.mogrify(sql, params) for sql, params in ready), "COMMIT"])
    try:
        if inline and session.new:
            with raw.pipeline():  # the new rows in one round trip, before any hot row
                session.flush()
        with raw.cursor() as cursor:
            cursor.execute(message)  # no parameters: the simple protocol, several statements
    except psycopg.errors.InvalidTextRepresentation as error:
        found = _REFUSED.search(str(error))
        session.rollback()
        if found is None:
            raise
        raise steps[int(found.group(1))].refusal from None
    except psycopg.IntegrityError as error:  # e.g. a twin's idempotency key, found at the sync
        session.rollback()
        raise IntegrityError("COMMIT", None, error) from error
    except Exception:
        session.rollback()
        raise
    session.commit()  # the session's own bookkeeping; the connection has committed
    if rows:
        from sqlalchemy.orm import make_transient_to_detached

        for row in rows:
            make_transient_to_detached(row)
        session.add_all(rows)


_INSERTS: dict = {}  # table → its INSERT of every column, compiled


def _insert_values(row, dialect) -> tuple[str, dict]:
    """The INSERT of a new ORM object (its primary key set), compiled once per table, and
    its parameters as SQLAlchemy's flush would send them: every column, a column the object
    was not given takes its Python-side default (set on the object too), else NULL."""
    from sqlalchemy import insert, inspect

    state = inspect(row)
    mapper = state.mapper
    table = mapper.local_table
    compiled = _INSERTS.get(table)
    if compiled is None:
        compiled = dialect.statement_compiler(dialect, insert(table),
                                              column_keys=[c.key for c in table.columns])
        _INSERTS[table] = compiled
    values = {}
    for column in table.columns:
        attribute = mapper.get_property_by_column(column).key
        if attribute in state.dict:
            value = state.dict[attribute]
        elif column.default is not None and column.default.is_scalar:
            value = column.default.arg
            setattr(row, attribute, value)
        elif column.default is not None and column.default.is_callable:
            value = column.default.arg(None)
            setattr(row, attribute, value)
        elif column.default is None and column.server_default is None:
            value = None
        else:
            raise ValueError(f"{table.name}.{column.key}: a default commit_hot can't compute")
        values[column.key] = value
    params = compiled.construct_params(values)
    processors = compiled._bind_processors
    return compiled.string, {name: processors[name](value) if name in processors else value
                             for name, value in params.items()}


def prefetch_ids(counts: list[tuple[str, int]]) -> list[list[int]]:
    """PostgreSQL: `n` new ids from each table's id sequence, in one round trip (rows given
    their ids are inserted without waiting for RETURNING: see `commit_hot`)."""
    from sqlalchemy import select

    from app.extensions import db

    row = db.session.execute(select(*id_columns(counts))).one()
    return [list(ids or ()) for ids in row]


def id_columns(counts: list[tuple[str, int]]) -> list:
    """`prefetch_ids` as columns, to ride along with another query."""
    from sqlalchemy import func, select

    return [select(func.array_agg(func.nextval(func.pg_get_serial_sequence(table, "id"))))
            .select_from(func.generate_series(1, n)).scalar_subquery()
            for table, n in counts]


_COMPILED: dict = {}  # statement shape → its compiled form (compiling costs ~4 ms a time)


def _compiled(statement, params: dict | None, dialect,
              exactly_one: int | None = None) -> tuple[str, dict]:
    """SQL and parameters for the driver, compiled once per statement shape (as SQLAlchemy
    does for the statements it runs itself) and filled with this statement's values. With
    `exactly_one` (the step's index), the statement wrapped by `_exactly_one`: the wrapper
    adds no parameters of its own, so it is built and compiled once per shape too, keyed
    and filled by the inner statement's cache key (building it each time cost more than
    running it). With `params`, `statement` was built once with bind parameters (`Bound`):
    compiled once per statement, no cache key to compute."""
    if params is not None:
        return _compiled_bound(statement, params, dialect, exactly_one)
    key = statement._generate_cache_key()
    shape = (key.key, exactly_one)
    compiled = _COMPILED.get(shape)
    if compiled is None:
        whole = statement if exactly_one is None else _exactly_one(statement, exactly_one)
        compiled = dialect.statement_compiler(dialect, whole, cache_key=key)
        if len(_COMPILED) > 500:
            _COMPILED.clear()
        _COMPILED[shape] = compiled
    params = compiled.construct_params(extracted_parameters=key.bindparams)
    return compiled.string, _with_onupdates(compiled, params)


_BOUND: dict = {}  # (id of a statement built once, exactly_one) → (statement, compiled)


def _compiled_bound(statement, params: dict, dialect,
                    exactly_one: int | None) -> tuple[str, dict]:
    shape = (id(statement), exactly_one)
    known = _BOUND.get(shape)
    if known is None or known[0] is not statement:
        whole = statement if exactly_one is None else _exactly_one(statement, exactly_one)
        if len(_BOUND) > 500:
            _BOUND.clear()
        known = _BOUND[shape] = (statement, dialect.statement_compiler(dialect, whole))
    compiled = known[1]
    values = _with_onupdates(compiled, compiled.construct_params(params))
    processors = compiled._bind_processors
    return compiled.string, {name: processors[name](value) if name in processors else value
                             for name, value in values.items()}


def _with_onupdates(compiled, params: dict) -> dict:
    """The columns' Python-side `onupdate` values (e.g. a product's updated_at) that
    SQLAlchemy would compute at execution."""
    for column in compiled.update_prefetch:
        if params.get(column.key) is None and column.onupdate is not None:
            params[column.key] = column.onupdate.arg(None)
    return params


def _exactly_one(statement: Update, index: int):
    """SELECT over the UPDATE that fails, in the server, unless it changed one row: the CASE
    depends on the row count, so PostgreSQL can't fold the failing cast at planning time.
    Literal SQL only (no bound parameters): `_compiled` fills it from `statement`'s own."""
    from sqlalchemy import Integer, case, cast, func, literal_column, select

    changed = statement.returning(literal_column("1")).cte(f"hot_{index}")
    count = select(func.count()).select_from(changed).scalar_subquery()
    return select(cast(case((count == literal_column("1"), literal_column("'0'")),
                            else_=literal_column(f"'hot-step-refused:{index}'")), Integer))


# Statements built once per shape (functools.cache) and run with parameters: a function that
# filters by whichever of a few subjects it is given ("the strip of this belt / this shop")
# names them with `given`, builds its statement for `tuple(subjects)` and adds the filters
# with `where_given`.

def given(**values) -> dict:
    """The keyword arguments that are not None, in order: a statement's shape and parameters."""
    return {name: value for name, value in values.items() if value is not None}


def where_given(query, shape: tuple[str, ...], columns: dict):
    """`query` with `column == :name` for each name of `shape` (`columns`: name → column)."""
    for name in shape:
        query = query.where(columns[name] == bindparam(name))
    return query


# --- a listing's LIMIT written into its statement --------------------------------------------
# PostgreSQL plans a prepared statement afresh for each run (a "custom plan") until a plan made
# once for any parameters (a "generic plan") looks no costlier. With LIMIT (or OFFSET) a
# parameter it cannot know how few rows the generic plan reads, takes a tenth of the matches,
# and so keeps planning a listing's query on every run: 0.2–0.7 ms of the database's time for
# each listing, beside ~0.1 ms to run it. A LIMIT written as a number (and no OFFSET on a
# first page) lets it keep one plan after five runs, the same plan, as it does for the other
# prepared statements.


def written_limit(rows: int):
    """`rows` as a LIMIT written into the SQL (`.limit(written_limit(n))`), not bound: for a
    statement built once per limit (a page size, a strip's length: a few constants), never
    for a number a request chose."""
    from sqlalchemy import literal_column

    return literal_column(str(int(rows)))


# --- plain reads --------------------------------------------------------------------------------
# A page's lists (cards, shops, rooms, comments) are read as plain tuples by statements built
# once. Run through the session, each such read spends ~0.3 ms of Python on SQLAlchemy's
# execution context, cache key and result object, two or three times what the driver needs.
# `plain_rows` compiles a statement once (its SQL, its parameters' and columns' type
# conversions) and runs it on the session's own connection and transaction with a driver
# cursor: the same rows, and still announced to `before_cursor_execute` listeners (the
# transaction's first write, and the tests that count a page's queries).

@dataclass
class _PlainRead:
    statement: object  # held so that its id, the key, is not reused while it is kept
    sql: str
    positional: tuple[str, ...] | None  # names in order for a positional driver (SQLite)
    compiled: object
    bind_processors: dict
    result_types: list
    row_type: type  # a named tuple: rows read by position or by column name, as SQLAlchemy's
    result_processors: list | None = None  # found at the first run (they may need the driver's
    # column types)
    # This statement's own values of the literals it was built with, when its compiled form
    # is another statement's of the same shape (None: the compiled form is its own).
    extracted: list | None = None

    def parameters(self, params: dict) -> dict:
        return self.compiled.construct_params(params, extracted_parameters=self.extracted)


_PLAIN_READS: dict[tuple[int, str], _PlainRead] = {}
# Compiled forms by statement shape (SQLAlchemy's cache key: the statement without the values
# of its literals). A search builds its statements for its own words (catalog.services.
# _SearchStatements), but 200 different searches make ~30 shapes: a new search's statement
# takes the compiled form of an earlier one of its shape (~0.4 ms for the key) instead of being
# compiled (~2 ms each, several per search), as SQLAlchemy's own compiled cache does.
_PLAIN_SHAPES: dict[tuple, _PlainRead] = {}


class PlainReadContext:
    """What `plain_rows` gives statement listeners as their `context` (SQLAlchemy gives its
    execution context): the statement's compiled form, SQL, parameters, cursor and connection,
    and room for the attributes a listener sets on it between before_ and
    after_cursor_execute (a timer's start, say)."""

    executemany = False
    isinsert = isupdate = isdelete = isddl = False

    def __init__(self, compiled, statement: str, parameters, cursor, connection):
        self.compiled, self.statement, self.parameters = compiled, statement, parameters
        self.cursor, self.connection = cursor, connection
        self.root_connection, self.dialect = connection, connection.dialect


def _plain_read(statement, dialect) -> _PlainRead:
    key = (id(statement), dialect.name)
    read = _PLAIN_READS.get(key)
    if read is None or read.statement is not statement:
        cache_key = statement._generate_cache_key()
        shape = None if cache_key is None else (cache_key.key, dialect.name)
        known = _PLAIN_SHAPES.get(shape) if shape is not None else None
        if known is not None:
            read = replace(known, statement=statement, extracted=cache_key.bindparams)
        else:
            read = _compiled_read(statement, dialect, cache_key)
            if shape is not None:
                if len(_PLAIN_SHAPES) > 1000:
                    _PLAIN_SHAPES.clear()
                _PLAIN_SHAPES[shape] = read
        if len(_PLAIN_READS) > 1000:  # statements are built once: a caller building them anew
            _PLAIN_READS.clear()      # would only cost compiling, not memory
        _PLAIN_READS[key] = read
    return read


def _compiled_read(statement, dialect, cache_key) -> _PlainRead:
    compiled = statement.compile(dialect=dialect, cache_key=cache_key)
    if any(bind.expanding for bind in compiled.binds.values()):
        raise ValueError("plain_rows: expanding IN parameters are not supported; "
                         "use an array (= ANY) or session.execute")
    return _PlainRead(statement, compiled.string,
                      tuple(compiled.positiontup) if compiled.positional else None,
                      compiled, dict(compiled._bind_processors),
                      [column[3] for column in compiled._result_columns],
                      namedtuple("PlainRow", [column[0] for column in compiled._result_columns],
                                 rename=True))


@functools.cache
def column_attributes(model: type) -> tuple:
    """`model`'s mapped column attributes in order (what a plain copy of its row selects)."""
    from sqlalchemy import inspect

    return tuple(inspect(model).column_attrs)


def columns_of(attributes) -> tuple:
    """The table columns behind mapped column attributes, in order (what a statement selects
    for `plain_copy`: `select(*columns_of(column_attributes(Model)))`)."""
    return tuple(attribute.columns[0] for attribute in attributes)


def plain_copy(attributes, values, kind: type = SimpleNamespace, **extra):
    """A row's values as a plain object with its model's attribute names (`attributes`: the
    mapper's column attributes the row selected, in order): pages read it as they would read
    the entity, without the ORM's loading (identity map, instrumentation) per row. `kind`: a
    SimpleNamespace subclass carrying the model's rules (e.g. merchants' ShopCopy)."""
    return kind(**{attribute.key: value
                   for attribute, value in zip(attributes, values, strict=True)}, **extra)


def plain_rows(statement, params: dict | None = None) -> list[tuple]:
    """The rows of `statement` (a SELECT of columns, built once: functools.cache) with
    `params`, as named tuples of the values SQLAlchemy would give, run on the session's
    connection (in its transaction, if one is open). No autoflush: for reads of committed
    state."""
    from sqlalchemy.exc import DBAPIError

    from app.extensions import db

    connection = db.session.connection()
    dialect = connection.dialect
    read = _plain_read(statement, dialect)
    values = read.parameters(params or {})
    for name, process in read.bind_processors.items():
        if name in values:
            values[name] = process(values[name])
    if read.positional is not None:
        values = tuple(values[name] for name in read.positional)
    cursor = connection.connection.cursor()
    listened = connection._has_events or connection.engine._has_events
    try:
        if listened:
            context = PlainReadContext(read.compiled, read.sql, values, cursor, connection)
            connection.dispatch.before_cursor_execute(connection, cursor, read.sql, values,
                                                      context, False)
        cursor.execute(read.sql, values)
        if listened:
            connection.dispatch.after_cursor_execute(connection, cursor, read.sql, values,
                                                     context, False)
        rows = cursor.fetchall()
        if read.result_processors is None:
            read.result_processors = [
                kind._cached_result_processor(dialect, described[1])
                for kind, described in zip(read.result_types, cursor.description, strict=True)]
    except dialect.loaded_dbapi.Error as error:
        raise DBAPIError.instance(read.sql, values, error, dialect.loaded_dbapi.Error,
                                  dialect=dialect) from error
    finally:
        cursor.close()
    make = read.row_type._make
    convert = [(index, process) for index, process in enumerate(read.result_processors)
               if process is not None]
    if not convert:
        return [make(row) for row in rows]
    converted = []
    for row in rows:
        row = list(row)
        for index, process in convert:
            row[index] = process(row[index])
        converted.append(make(row))
    return converted
