"""Translation catalogues, one per domain (app/<domain>/translations) plus the core one
(app/translations: layout, errors, shared macros and modules).

  python scripts/i18n.py extract   # refresh each messages.pot from the sources
  python scripts/i18n.py update    # merge the .pot into zh_Hans_CN and en .po files
  python scripts/i18n.py compile   # .po → .mo (make run / make test do this)
  python scripts/i18n.py check     # fail when a .pot is stale or a translation is missing
  python scripts/i18n.py fill F.json  # set English strings from {"中文 msgid": "English"}

Message ids are Simplified Chinese, so the zh_Hans_CN catalogue is filled from the ids;
the English catalogue needs a translation for every message."""
from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from pathlib import Path

from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
CJK = re.compile(r"[\u3400-\u9fff]")
# Chinese (full-width) punctuation has no place in an English sentence ("Source：").
FULL_WIDTH = re.compile(r"[：，（）。、；！？【】《》\u3000]")
LOCALES = ("zh_Hans_CN", "en")
KEYWORDS = ["-k", "_l", "-k", "N_", "-k", "lazy_gettext"]


def domains() -> dict[str, tuple[Path, list[Path]]]:
    """name → (translations dir, sources)."""
    found = {
        "core": (ROOT / "app" / "translations",
                 [p for p in (ROOT / "app").glob("*.py")]
                 + [p for p in (ROOT / "templates").glob("*.html")]
                 + [ROOT / "templates" / "errors"]),
    }
    for package in sorted((ROOT / "app").iterdir()):
        if package.is_dir() and (package / "__init__.py").exists():
            sources = [package]
            templates = ROOT / "templates" / package.name
            if templates.is_dir():
                sources.append(templates)
            found[package.name] = (package / "translations", sources)
    return found


def _extract(sources: list[Path], output: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "extract", "-F",
         str(ROOT / "babel.cfg"), *KEYWORDS, "--no-location", "--omit-header", "--sort-output",
         "-o", str(output), *[str(s) for s in sources]],
        check=True, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )


def _has_messages(pot: Path) -> bool:
    with pot.open("rb") as handle:
        return any(m.id for m in read_po(handle))


def extract() -> None:
    for name, (directory, sources) in domains().items():
        directory.mkdir(parents=True, exist_ok=True)
        pot = directory / "messages.pot"
        _extract(sources, pot)
        if not _has_messages(pot):
            pot.unlink()
            if not any(directory.iterdir()):
                directory.rmdir()
        else:
            print(f"extracted {name}")


def update() -> None:
    for name, (directory, _sources) in domains().items():
        pot = directory / "messages.pot"
        if not pot.exists():
            continue
        for locale in LOCALES:
            # Catalog.update adds the template's own Message objects: read a fresh template
            # per locale, or filling zh_Hans_CN would write Chinese into the English file.
            with pot.open("rb") as handle:
                template = read_po(handle)
            po_path = directory / locale / "LC_MESSAGES" / "messages.po"
            po_path.parent.mkdir(parents=True, exist_ok=True)
            if po_path.exists():
                with po_path.open("rb") as handle:
                    catalog = read_po(handle, locale=locale)
            else:
                from babel.messages.catalog import Catalog

                catalog = Catalog(locale=locale, domain="messages")
            catalog.update(template, no_fuzzy_matching=True)
            for message in catalog:
                if not message.id:
                    continue
                if locale == "zh_Hans_CN" and not _translated(message):
                    message.string = message.id  # ids are already Simplified Chinese
                message.flags.discard("fuzzy")
            catalog.obsolete.clear()
            catalog.fuzzy = False  # a fuzzy header makes pybabel compile skip the catalogue
            if _write_if_changed(po_path, catalog, omit_header=False):
                print(f"updated {name}/{locale}: {len(catalog)} messages")


HEADER_DATE = re.compile(rb'^"POT-Creation-Date: [^"]*"\n', re.MULTILINE)


def _write_if_changed(path: Path, catalog, **options) -> bool:
    """Write the catalogue unless only its creation date would change: a date-only rewrite of
    every .po on each extract makes every parallel branch conflict on merge."""
    import io

    out = io.BytesIO()
    write_po(out, catalog, no_location=True, sort_output=True, width=100, **options)
    new = out.getvalue()
    if path.exists() and HEADER_DATE.sub(b"", path.read_bytes()) == HEADER_DATE.sub(b"", new):
        return False
    path.write_bytes(new)
    return True


def _translated(message) -> bool:
    if isinstance(message.string, (list, tuple)):
        return all(message.string)
    return bool(message.string)


def compile_all() -> None:
    for _name, (directory, _sources) in domains().items():
        for locale in LOCALES:
            po_path = directory / locale / "LC_MESSAGES" / "messages.po"
            if po_path.exists():
                subprocess.run(
                    [sys.executable, "-m", "babel.messages.frontend", "compile", "-i",
                     str(po_path), "-o", str(po_path.with_suffix(".mo")), "-l", locale],
                    check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def problems() -> list[str]:
    found = []
    for name, (directory, sources) in domains().items():
        pot = directory / "messages.pot"
        with tempfile.TemporaryDirectory() as tmp:
            fresh = Path(tmp) / "fresh.pot"
            _extract(sources, fresh)
            with fresh.open("rb") as handle:
                wanted = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(handle)
                          if m.id}
        if not wanted:
            continue
        if not pot.exists():
            found.append(f"{name}: no messages.pot (run scripts/i18n.py extract)")
            continue
        with pot.open("rb") as handle:
            have = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(handle) if m.id}
        if wanted != have:
            missing = sorted(wanted - have)[:5]
            found.append(f"{name}: messages.pot is stale (e.g. {missing}); run extract + update")
        for locale in LOCALES:
            po_path = directory / locale / "LC_MESSAGES" / "messages.po"
            if not po_path.exists():
                found.append(f"{name}/{locale}: missing catalogue")
                continue
            with po_path.open("rb") as handle:
                catalog = read_po(handle, locale=locale)
            if catalog.fuzzy:
                found.append(f"{name}/{locale}: catalogue header is fuzzy (run update)")
            untranslated = [m.id for m in catalog if m.id and (
                not _translated(m) or "fuzzy" in m.flags
                or (locale != "zh_Hans_CN" and m.string == m.id and CJK.search(str(m.id))))]
            ids = {m.id if isinstance(m.id, str) else m.id[0] for m in catalog if m.id}
            absent = wanted - ids
            if untranslated:
                found.append(f"{name}/{locale}: {len(untranslated)} untranslated, e.g. "
                             f"{untranslated[:3]}")
            if locale == "en":
                wide = [m.id for m in catalog if m.id and _translated(m) and any(
                    FULL_WIDTH.search(text) for text in (
                        m.string if isinstance(m.string, (list, tuple)) else [m.string]))]
                if wide:
                    found.append(f"{name}/en: {len(wide)} with Chinese punctuation, e.g. "
                                 f"{wide[:3]}")
            if absent:
                found.append(f"{name}/{locale}: {len(absent)} messages not in catalogue, e.g. "
                             f"{sorted(absent)[:3]}")
    return found


def fill(path: str) -> None:
    """Set English translations from a JSON object {msgid: text or [singular, plural]}."""
    import json

    english = json.loads(Path(path).read_text(encoding="utf-8"))
    for _name, (directory, _sources) in domains().items():
        po_path = directory / "en" / "LC_MESSAGES" / "messages.po"
        if not po_path.exists():
            continue
        with po_path.open("rb") as handle:
            catalog = read_po(handle, locale="en")
        for message in catalog:
            key = message.id if isinstance(message.id, str) else (message.id or [""])[0]
            if key and key in english:
                value = english[key]
                if isinstance(message.id, (list, tuple)):
                    message.string = tuple(value) if isinstance(value, list) else (value, value)
                else:
                    message.string = value
        catalog.fuzzy = False
        _write_if_changed(po_path, catalog)


def main() -> int:
    command = sys.argv[1] if len(sys.argv) > 1 else "check"
    if command == "extract":
        extract()
    elif command == "update":
        update()
    elif command == "fill":
        fill(sys.argv[2])
    elif command == "compile":
        compile_all()
    elif command == "check":
        issues = problems()
        for issue in issues:
            print(issue)
        return 1 if issues else 0
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
