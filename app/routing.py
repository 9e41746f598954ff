"""URL converters that refuse hostile path segments before any view runs (404, not 500)."""
from __future__ import annotations

from werkzeug.routing import BaseConverter, ValidationError

from app.inputs import PG_INT_MAX


class IdConverter(BaseConverter):
    """A database id: 1 to 2**31-1, digits only. Anything else is simply not this route."""

    regex = r"[1-9][0-9]{0,9}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if number > PG_INT_MAX:
            raise ValidationError()
        return number

    def to_url(self, value) -> str:
        return str(int(value))


class SlugConverter(BaseConverter):
    """Lower-case ASCII slugs such as `zhenping-jade`."""

    regex = r"[a-z0-9][a-z0-9-]{0,59}"
