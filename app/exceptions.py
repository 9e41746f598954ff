"""Errors the services raise. Routes turn them into a page with the message and a 4xx."""
from __future__ import annotations


class DomainError(Exception):
    """A rule said no. `message` is already translated for the current user."""

    status = 400

    def __init__(self, message: str = "", field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class InvalidInput(DomainError):
    status = 400


class TooLarge(InvalidInput):
    """An upload over its size limit: the form comes back with the message and a 413."""

    status = 413


class PermissionDenied(DomainError):
    status = 403


class NotFound(DomainError):
    status = 404


class Conflict(DomainError):
    """The request clashes with the current state (sold out, already decided, duplicate)."""

    status = 409
