"""Full pages or one named block of the same template, depending on who asks."""
from __future__ import annotations

from collections.abc import Callable

from flask import Response, make_response, render_template, request
from jinja2_fragments.flask import render_block


class TemplateModule:
    """A template's macros as a Jinja global (`ui.product_card(...)`).

    jinja2-fragments renders one block without running the page's top-level
    `{% import %}`s, so shared macros must be reachable as a global for fragments too."""

    def __init__(self, environment, name: str):
        self._environment = environment
        self._name = name
        self._module = None

    def __getattr__(self, attribute: str):
        if self._module is None:
            self._module = self._environment.get_template(self._name).module
        return getattr(self._module, attribute)


def is_htmx() -> bool:
    return request.headers.get("HX-Request") == "true" and not request.headers.get("HX-Boosted")


def requested_fragment(fragment: str | dict[str | None, str] | None) -> str | None:
    """The block an htmx request wants: one name, or chosen by the HX-Target element id."""
    if not fragment or not is_htmx():
        return None
    if isinstance(fragment, str):
        return fragment
    return fragment.get(request.headers.get("HX-Target"), fragment.get(None))


def render_page(template: str, fragment: str | dict[str | None, str] | None = None,
                status: int = 200, **context):
    """Render `template`; for an htmx request, only the requested `fragment` block.

    The page and its fragment come from one template, so they never drift apart."""
    block = requested_fragment(fragment)
    if block:
        body = render_block(template, block, **context)
    else:
        body = render_template(template, **context)
    response = make_response(body, status)
    response.vary.add("HX-Request")
    return response


def polled(tag: str, render: Callable[[], Response]) -> Response:
    """Conditional GET for a polled fragment (the one copy of the rule): 304 with no body when
    the client already shows `tag`, else `render()`. Either way the ETag, and headers that make
    every poll revalidate (the text depends on the session's language and user).

    The ETag is weak: the same fragment goes out brotli-, gzip- or un-compressed, and a weak
    tag stays the same for all three (a strong one would get an encoding suffix)."""
    if client_has(tag):
        return not_modified(tag)
    return _revalidated(render(), tag)


def client_has(tag: str) -> bool:
    """The client already shows `tag` (its If-None-Match): for a view that can answer 304
    before it knows how it would render (then `not_modified`, else `polled`)."""
    return request.if_none_match.contains_weak(tag)


def not_modified(tag: str) -> Response:
    """The 304 of `polled`, for a caller that has already compared the client's ETag."""
    return _revalidated(make_response("", 304), tag)


def _revalidated(response: Response, tag: str) -> Response:
    response.set_etag(tag, weak=True)
    response.headers["Cache-Control"] = "private, no-cache"
    response.vary.add("Cookie")
    return response
