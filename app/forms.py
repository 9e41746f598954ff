"""Form helpers shared by every domain."""
from __future__ import annotations

from flask_wtf import FlaskForm

from app.exceptions import DomainError


def attach_error(form: FlaskForm, error: DomainError) -> None:
    """Show a service's message beside the field it names (or above the form)."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None and hasattr(field, "errors"):
        field.errors = [*field.errors, error.message]  # errors may be a tuple before validate()
    else:
        form.form_errors.append(error.message)
