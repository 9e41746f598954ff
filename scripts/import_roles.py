"""An import-linter contract type: each module of a domain has a role, known by its name.

    routes   routes.py, *_routes.py      parse a request, call a service, render
    forms    forms.py                    Flask-WTF forms
    models   models.py, *_models.py      tables
    reference reference.py               enums and constants that every role may use
    services every other module          the rules and the transaction
    (the package's __init__.py wires the domain into the app and has no role)

Rules: models import no services, routes or forms; services import no routes or forms;
no module imports another domain's routes; services import none of the `route_only` modules
(the page cache) and never touch `flask.session` (the request's cookie belongs to the routes;
`session_modules` names the one service whose job the session is: the sign-in session).
New modules are covered by their names, with no list to keep up to date.
Registered in pyproject.toml ([tool.importlinter] contract_types).
"""
from __future__ import annotations

import ast
import importlib.util

from grimp import ImportGraph
from importlinter import Contract, ContractCheck, fields, output

FORBIDDEN = {  # role -> the roles it may not import (any domain)
    "models": {"services", "routes", "forms"},
    "services": {"routes", "forms"},
}


def role(module: str) -> str | None:
    parts = module.split(".")
    if len(parts) < 3:
        return None  # the domain package itself
    name = parts[2]
    if name == "routes" or name.endswith("_routes"):
        return "routes"
    if name == "forms":
        return "forms"
    if name == "models" or name.endswith("_models"):
        return "models"
    if name == "reference":
        return "reference"
    return "services"


class RolesContract(Contract):
    """Options: domains (the packages whose modules have roles), ignore_imports
    ("importer -> imported" pairs tolerated for now, each with a reason in a comment)."""

    domains = fields.ListField(subfield=fields.StringField())
    ignore_imports = fields.ListField(subfield=fields.StringField(), required=False)
    route_only = fields.ListField(subfield=fields.StringField(), required=False)
    session_modules = fields.ListField(subfield=fields.StringField(), required=False)

    def check(self, graph: ImportGraph, verbose: bool) -> ContractCheck:
        domains = set(self.domains)  # type: ignore[arg-type]
        ignored = {tuple(part.strip() for part in line.split("->"))
                   for line in (self.ignore_imports or [])}  # type: ignore[union-attr]
        route_only = set(self.route_only or [])  # type: ignore[arg-type]
        session_modules = set(self.session_modules or [])  # type: ignore[arg-type]
        broken = []
        for importer in sorted(graph.modules):
            if ".".join(importer.split(".")[:2]) not in domains:
                continue
            if role(importer) in ("services", "models") and importer not in session_modules:
                lines = _session_uses(importer)
                if lines:
                    broken.append({"importer": importer, "imported": "flask.session",
                                   "why": "the session belongs to the routes", "lines": lines})
            for imported in sorted(graph.find_modules_directly_imported_by(importer)):
                domain = ".".join(imported.split(".")[:2])
                if (importer, imported) in ignored:
                    continue
                if imported in route_only and role(importer) in ("services", "models"):
                    broken.append({"importer": importer, "imported": imported,
                                   "why": f"only routes use {imported}",
                                   "lines": _lines(graph, importer, imported)})
                    continue
                if domain not in domains:
                    continue
                mine, theirs = role(importer), role(imported)
                why = None
                if theirs in FORBIDDEN.get(mine or "", ()):
                    why = f"{mine} import no {theirs}"
                elif theirs == "routes" and domain != ".".join(importer.split(".")[:2]):
                    why = "a domain never imports another domain's routes"
                if why:
                    broken.append({"importer": importer, "imported": imported, "why": why,
                                   "lines": _lines(graph, importer, imported)})
        for importer, imported in sorted(ignored):
            if not graph.direct_import_exists(importer=importer, imported=imported):
                broken.append({"importer": importer, "imported": imported, "lines": [],
                               "why": "no such import any more: delete its ignore"})
        return ContractCheck(kept=not broken, metadata={"broken": broken})

    def render_broken_contract(self, check: ContractCheck) -> None:
        for item in check.metadata["broken"]:
            where = ", ".join(f"l.{n}" for n in item["lines"])
            output.print_error(f"{item['importer']} -> {item['imported']} ({where}): {item['why']}")
            output.new_line()


def _lines(graph: ImportGraph, importer: str, imported: str) -> list[int]:
    return [d["line_number"] for d in graph.get_import_details(importer=importer, imported=imported)]


def _session_uses(module: str) -> list[int]:
    """Lines of `module` that import flask's session or reach it as `flask.session`."""
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.origin or not spec.origin.endswith(".py"):
        return []
    with open(spec.origin, encoding="utf-8") as source:
        tree = ast.parse(source.read())
    return [node.lineno for node in ast.walk(tree) if _is_session(node)]


def _is_session(node: ast.AST) -> bool:
    if isinstance(node, ast.ImportFrom):
        return node.module == "flask" and any(alias.name == "session" for alias in node.names)
    return (isinstance(node, ast.Attribute) and node.attr == "session"
            and isinstance(node.value, ast.Name) and node.value.id == "flask")
