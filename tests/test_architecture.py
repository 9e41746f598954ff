"""The roles contract (scripts/import_roles.py, run by `lint-imports` in `make test`) catches
what it promises, on a small package made for the test: a model importing a service, a
service importing routes or touching the session or the page cache, a domain importing
another's routes; and it keeps a package that follows the rules."""
from __future__ import annotations

import sys
import textwrap

import grimp
import pytest

from scripts.import_roles import RolesContract, role

FILES = {
    "__init__.py": "",
    "pagecache.py": "",
    "shelf/__init__.py": "",
    "shelf/models.py": "from shop.shelf import reference\n",
    "shelf/reference.py": "",
    "shelf/services.py": "from shop.shelf import models\n",
    "shelf/routes.py": "from shop.shelf import forms, services\nfrom shop import pagecache\n",
    "shelf/admin_routes.py": "from shop.shelf import routes\n",
    "shelf/forms.py": "from shop.shelf import models\n",
    "till/__init__.py": "",
    "till/models.py": "",
    "till/services.py": "from shop.shelf import services\n",
    "till/routes.py": "from flask import session\nfrom shop.till import services\n",
}


def _package(tmp_path, monkeypatch, **changes):
    for name, text in {**FILES, **changes}.items():
        path = tmp_path / "shop" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    monkeypatch.syspath_prepend(str(tmp_path))
    for module in [m for m in sys.modules if m == "shop" or m.startswith("shop.")]:
        monkeypatch.delitem(sys.modules, module)
    return grimp.build_graph("shop", cache_dir=None)


def _check(graph, **options):
    contract = RolesContract(name="roles", session_options={"root_packages": ["shop"]},
                             contract_options={"domains": ["shop.shelf", "shop.till"],
                                               "route_only": ["shop.pagecache"], **options})
    result = contract.check(graph, verbose=False)
    return result.kept, {(b["importer"], b["imported"]): b["why"]
                         for b in result.metadata["broken"]}


def test_modules_have_roles_by_their_names():
    assert role("app.orders.routes") == role("app.orders.desk_routes") == "routes"
    assert role("app.live.models") == role("app.live.comment_models") == "models"
    assert role("app.orders.forms") == "forms"
    assert role("app.catalog.reference") == "reference"
    assert role("app.flash.buy") == role("app.orders.services") == "services"
    assert role("app.orders") is None


def test_a_package_that_follows_the_rules_keeps_the_contract(tmp_path, monkeypatch):
    kept, broken = _check(_package(tmp_path, monkeypatch))
    assert kept and not broken


@pytest.mark.parametrize("module, text, importer, imported, why", [
    ("shelf/models.py", "from shop.shelf import services\n",
     "shop.shelf.models", "shop.shelf.services", "models import no services"),
    ("shelf/services.py", "from shop.shelf import forms\n",
     "shop.shelf.services", "shop.shelf.forms", "services import no forms"),
    ("till/services.py", "from shop.shelf import admin_routes\n",
     "shop.till.services", "shop.shelf.admin_routes", "services import no routes"),
    ("till/routes.py", "from shop.shelf import routes\n",
     "shop.till.routes", "shop.shelf.routes", "a domain never imports another domain's routes"),
    ("till/services.py", "from shop import pagecache\n",
     "shop.till.services", "shop.pagecache", "only routes use shop.pagecache"),
    ("till/services.py", "import flask\n\ndef cart():\n    return flask.session\n",
     "shop.till.services", "flask.session", "the session belongs to the routes"),
])
def test_each_broken_rule_is_named(tmp_path, monkeypatch, module, text, importer, imported, why):
    kept, broken = _check(_package(tmp_path, monkeypatch, **{module: text}))
    assert not kept
    assert broken == {(importer, imported): why}


def test_an_ignore_lets_one_import_through_and_a_stale_one_fails(tmp_path, monkeypatch):
    graph = _package(tmp_path, monkeypatch, **{"shelf/models.py": "from shop.shelf import services\n"})
    kept, _ = _check(graph, ignore_imports=["shop.shelf.models -> shop.shelf.services"])
    assert kept
    kept, broken = _check(graph, ignore_imports=["shop.shelf.models -> shop.shelf.services",
                                                 "shop.till.models -> shop.shelf.services"])
    assert not kept
    assert broken == {("shop.till.models", "shop.shelf.services"):
                      "no such import any more: delete its ignore"}


def test_the_sign_in_session_module_may_hold_the_session(tmp_path, monkeypatch):
    graph = _package(tmp_path, monkeypatch, **{"till/services.py": "from flask import session\n"})
    assert not _check(graph)[0]
    assert _check(graph, session_modules=["shop.till.services"])[0]
