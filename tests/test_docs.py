"""The README and docs/ stand on their own: a clone of the repository has every file they
point to, and nothing they link lives outside it."""
from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
MARKDOWN_LINK = re.compile(r"\]\(([^)\s]+)\)")
CODE_PATH = re.compile(r"`((?:\.\./|docs/|app/|tests/|bench/|scripts/)[^`\s]*)`")


def _targets(text: str) -> list[str]:
    links = [link for link in MARKDOWN_LINK.findall(text)
             if not link.startswith(("http://", "https://", "mailto:", "#"))]
    return links + CODE_PATH.findall(text)


def test_docs_never_point_outside_the_repository():
    for doc in DOCS:
        text = doc.read_text()
        assert "../shared" not in text, f"{doc.name} points to ../shared"
        for target in _targets(text):
            path = (doc.parent / target.split("#")[0]).resolve()
            assert path.is_relative_to(ROOT), f"{doc.name}: {target} is outside the repository"


def test_every_file_the_docs_link_exists():
    for doc in DOCS:
        for target in MARKDOWN_LINK.findall(doc.read_text()):
            if target.startswith(("http://", "https://", "mailto:", "#")):
                continue
            assert (doc.parent / target.split("#")[0]).exists(), f"{doc.name}: {target} is missing"


def test_the_readme_and_the_developers_guide_lead_to_the_design():
    for doc in (ROOT / "README.md", ROOT / "docs" / "DEVELOPING.md"):
        assert "DESIGN.md" in doc.read_text()
    design = (ROOT / "docs" / "DESIGN.md").read_text()
    for section in ("## Who uses it", "## Glossary", "## Rules that keep it correct",
                    "## Look and feel", "## Route contract"):
        assert section in design
