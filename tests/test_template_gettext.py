"""`_()` and `ngettext()` in templates: translated in the reader's language, user text escaped
into them, the text itself trusted (app.i18n.template_gettext)."""
from __future__ import annotations

from flask import render_template_string

from app.i18n import LOCALE_COOKIE


def test_variables_are_escaped_into_the_translated_text(app):
    with app.test_request_context("/"):
        html = render_template_string('{{ _("%(shop)s的直播间：%(title)s", shop=shop, title="") }}',
                                      shop='<script>alert(1)</script>')
    assert "&lt;script&gt;" in html and "<script>" not in html and "的直播间" in html


def test_the_reader_language_is_used(app):
    with app.test_request_context("/", headers={"Cookie": f"{LOCALE_COOKIE}=en"}):
        english = render_template_string('{{ _("登录") }}|{{ ngettext("%(num)d 件", "%(num)d 件", 3) }}')
    with app.test_request_context("/"):
        chinese = render_template_string('{{ _("登录") }}|{{ ngettext("%(num)d 件", "%(num)d 件", 3) }}')
    assert chinese == "登录|3 件"
    assert english.split("|")[0] == "Sign in" and english.split("|")[1].startswith("3 ")


def test_a_percent_sign_in_text_without_variables_is_formatted_like_jinja_does(app):
    with app.test_request_context("/"):
        assert render_template_string('{{ _("满 100%% 可用") }}') == "满 100% 可用"


def test_fixed_text_is_kept_per_language(app):
    """The per-language memo of texts without variables never serves one language's text to
    a reader of the other, and the same text comes back for the same language."""
    page = '{{ _("登录") }}|{{ _("满 100%% 可用") }}'
    for _round in range(2):
        with app.test_request_context("/"):
            assert render_template_string(page) == "登录|满 100% 可用"
        with app.test_request_context("/", headers={"Cookie": f"{LOCALE_COOKIE}=en"}):
            assert render_template_string(page).split("|")[0] == "Sign in"
