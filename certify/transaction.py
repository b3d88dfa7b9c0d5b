"""One place that commits: a request succeeds and commits once, or rolls back.

Operations flush and never commit (STYLE.md). Views never commit either: when the response is
ready, :func:`finish_request` commits the request's session if the response is a success
(status below 400) and rolls it back otherwise, in the spirit of warehouse's and Indico's
per-request transaction. Requests with safe methods (GET, HEAD, OPTIONS) and requests to views
declared :func:`certify.db.read_only` never commit: a page view or a verification cannot write,
whatever a bug in it flushes.

An :class:`~certify.operations.OperationError` is a rule refusing a change. A view that calls
an operation wraps the call in :func:`attempt`, which rolls the session back at once (so the
page it then renders reads the database as it is) and shows the message on the form field it
names, or as a flashed message. An ``OperationError`` that escapes a view is answered in one
shared way by :func:`operation_error`: rolled back, then the error page (HTML) or the JSON
error shape under ``/api/``, with status 409.

Three exceptions are declared, never implied: :func:`keep_changes` makes an error response
commit (a failed sign-in must count, although it answers 401); CLI commands commit through
:func:`command_transaction`; and :func:`record_after_response` queues bookkeeping that must be
written whatever the request's method or outcome (when a session was last seen, when an API
token was last used): GET requests never commit, so it is written after the response, in a
short transaction of its own (:func:`write_after_response`). Callers write it at most once a
minute per row, so a busy reader costs one small UPDATE a minute, not one per request.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import click
from flask import Flask, Response, flash, g
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import Update

from certify.db import get_db, request_is_read_only
from certify.operations import OperationError

log = logging.getLogger(__name__)


def _request_session() -> Session | None:
    return g.get("_certify_db_session")


def keep_changes() -> None:
    """Commit this request's changes even though it answers with an error status (a failed
    sign-in's counter and lock must stick while the answer is 401 or 429)."""
    g._certify_keep_changes = True


def rollback() -> None:
    """Roll the request's session back now (nothing is lost that was meant to stay: only an
    operation that refused its change calls this)."""
    session = _request_session()
    if session is not None:
        session.rollback()


def finish_request(response: Response) -> Response:
    """Commit the request's transaction when *response* is a success, else roll it back.

    A failing commit raises, so the client gets the 500 page rather than a success for a
    change that was not stored.
    """
    session = _request_session()
    if session is None or not session.in_transaction():
        return response
    success = response.status_code < 400 or g.get("_certify_keep_changes", False)
    if success and not request_is_read_only():
        session.commit()
    else:
        session.rollback()
    return response


def record_after_response(statement: Update) -> None:
    """Write *statement* after this request's response, in a transaction of its own, whether
    the request commits or not. Only for bookkeeping that loses nothing if it is lost or
    late: a conditional UPDATE that is harmless to run twice (``... WHERE last_used_at <
    :now``), never a state change an operation makes."""
    g.setdefault("_certify_after_response", []).append(statement)


def write_after_response(_error: BaseException | None = None) -> None:
    """After the response (``teardown_request``): run what :func:`record_after_response`
    queued, in one short writer transaction. A failure is logged and ignored: it costs at
    most a minute of a "last seen" or "last used" time."""
    statements = g.pop("_certify_after_response", None)
    if not statements:
        return
    try:
        with get_db().new_session(writer=True) as session:
            for statement in statements:
                session.execute(statement)
            session.commit()
    except SQLAlchemyError:
        log.warning("could not record %d after-response updates", len(statements), exc_info=True)


@dataclass
class Outcome:
    """What :func:`attempt` saw: ``error`` is the refusal, if any."""

    error: OperationError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    def __bool__(self) -> bool:
        return self.ok


def report(error: OperationError, form: Any = None) -> None:
    """Show *error* to the person: on *form*'s field it names, else as a flashed message."""
    field = getattr(form, error.field, None) if (form is not None and error.field) else None
    if field is not None and hasattr(field, "errors"):
        field.errors = [*list(field.errors), error.message]
    else:
        flash(error.message, "error")


@contextmanager
def attempt(
    form: Any = None, *, shown_by_page: tuple[type[OperationError], ...] = ()
) -> Iterator[Outcome]:
    """Run an operation; on :class:`OperationError` roll back at once and report it (except
    errors of the *shown_by_page* types, which the page displays in its own way).

    Usage in a view::

        with attempt(form) as done:
            save_scope(db_session(), application, user, data)
        if done:
            flash("Scope saved.", "success")
            return redirect(...)
        # fall through: render the form again, the error shown on it
    """
    outcome = Outcome()
    try:
        yield outcome
    except OperationError as error:
        rollback()
        outcome.error = error
        if not isinstance(error, shown_by_page):
            report(error, form)


def operation_error(error: OperationError) -> Any:
    """The answer to an ``OperationError`` no view caught: roll back, then 409 (a refusal of
    the change as the resource stands), as the error page or ``{"error": ...}`` under /api/."""
    from certify.errors import render_error

    rollback()
    return render_error(409, "Conflict", error.message, code=error.code)


@contextmanager
def command_transaction(session: Session) -> Iterator[Session]:
    """A CLI command's transaction: commit when the block ends, roll back on any error; an
    ``OperationError`` becomes a ``click`` error (its message, exit status 1)."""
    try:
        yield session
    except OperationError as error:
        session.rollback()
        raise click.ClickException(error.message) from error
    except BaseException:
        session.rollback()
        raise
    session.commit()


def init_app(app: Flask) -> None:
    """Commit or roll back at the end of every request, then write the bookkeeping it queued;
    answer stray ``OperationError``."""
    app.after_request(finish_request)
    app.teardown_request(write_after_response)
    app.register_error_handler(OperationError, operation_error)
