"""The README and docs/ stand on their own: a clone of the repository has every file they
point to, and nothing they link lives outside it."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

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


def test_the_sample_nginx_configuration_is_accepted_by_nginx(tmp_path):
    """The web tier's configuration in DEPLOYING.md, as printed (ports and certificate swapped
    for temporary ones), passes `nginx -t`."""
    import shutil
    import subprocess

    if not (shutil.which("nginx") and shutil.which("openssl")):
        pytest.skip("nginx or openssl is not installed")
    doc = (ROOT / "docs" / "DEPLOYING.md").read_text()
    conf = re.search(r"```nginx\n(.*?)```", doc, re.S).group(1)
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=shop.example.cn", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    for old, new in (("listen 80;", "listen 127.0.0.1:18080;"),
                     ("listen 443 ssl http2;", "listen 127.0.0.1:18443 ssl http2;"),
                     ("/etc/letsencrypt/live/shop.example.cn/fullchain.pem", str(cert)),
                     ("/etc/letsencrypt/live/shop.example.cn/privkey.pem", str(key))):
        assert old in conf
        conf = conf.replace(old, new)
    (tmp_path / "yuantou.conf").write_text(conf)
    temp_paths = " ".join(f"{name}_temp_path {tmp_path / name};"
                          for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path / 'nginx.pid'}; error_log {tmp_path / 'error.log'};\n"
        "events { worker_connections 64; }\n"
        f"http {{ include /etc/nginx/mime.types; access_log off; {temp_paths}\n"
        f"include {tmp_path / 'yuantou.conf'}; }}\n")
    result = subprocess.run(["nginx", "-t", "-q", "-p", str(tmp_path), "-c",
                             str(tmp_path / "nginx.conf")], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
