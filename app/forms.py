"""Form helpers shared by every domain."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, request, session
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict

from app.exceptions import DomainError
from app.rendering import is_htmx

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def is_form_body() -> bool:
    """The request's body is what a form sends (htmx sends forms too)."""
    return request.mimetype in FORM_TYPES


def form_posts_only(bp: Blueprint) -> None:
    """Every POST of `bp` is a form: JSON or any other body gets a 415 before any work."""

    @bp.before_request
    def _form_posts_only() -> None:
        if request.method == "POST" and not is_form_body():
            abort(415)


def attach_error(form: FlaskForm, error: DomainError) -> None:
    """Show a service's message beside the field it names (or above the form)."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None and hasattr(field, "errors"):
        field.errors = [*field.errors, error.message]  # errors may be a tuple before validate()
    else:
        form.form_errors.append(error.message)


# --- after a failed post: redirect, keeping the message and what was typed (PRG) --------------

RETRY_KEY = "yt_retry"
_NOT_KEPT = {"CSRFTokenField", "PasswordField", "FileField", "MultipleFileField"}


def browser_navigation() -> bool:
    """The post is a person's browser submitting a form as a page load (not htmx, not a script):
    then a failure redirects to the form's page rather than leaving the browser on the POST
    URL (where a reload re-posts and the address is not a page). Other clients get the 4xx."""
    return request.headers.get("Sec-Fetch-Mode") == "navigate" and not is_htmx()


def retry_at(url: str, key: str, form: FlaskForm | None = None, message: str | None = None):
    """303 to `url`; `message` is flashed as an error and `form`'s typed values and errors are
    kept in the session for the next `retried(FormClass, key)` (one use)."""
    if message:
        flash(message, "error")
    if form is not None:
        session[RETRY_KEY] = {
            "key": key,
            "values": {f.name: request.form.getlist(f.name) for f in form
                       if f.type not in _NOT_KEPT and f.name in request.form},
            "errors": {f.name: [str(e) for e in f.errors] for f in form if f.errors},
            "form_errors": [str(e) for e in form.form_errors],
        }
    return redirect(url, code=303)


def retried(form_class: type[FlaskForm], key: str) -> FlaskForm | None:
    """The form kept by `retry_at` under `key`, filled with what was typed and its errors."""
    kept = session.get(RETRY_KEY)
    if not kept or kept.get("key") != key:
        return None
    session.pop(RETRY_KEY)
    form = form_class(formdata=MultiDict([(name, value) for name, values in kept["values"].items()
                                          for value in values]))
    for name, errors in kept["errors"].items():
        field = getattr(form, name, None)
        if field is not None:
            field.errors = list(errors)
    form.form_errors.extend(kept["form_errors"])
    return form
