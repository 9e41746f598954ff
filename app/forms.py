"""Form helpers shared by every domain."""
from __future__ import annotations

from flask import Blueprint, abort, request
from flask_wtf import FlaskForm

from app.exceptions import DomainError

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
