"""The ingest's nginx.conf, as `flask live-nginx-config` prints it for production: nginx itself
accepts it, and it never exposes the callbacks or the key."""
from __future__ import annotations

import subprocess

from app.live.ingest_server import find_nginx
from tests.ingest import require_live_tools


def test_the_printed_production_config_is_valid_nginx(app, tmp_path, monkeypatch):
    require_live_tools()
    monkeypatch.setenv("LIVE_INGEST_SECRET", "from-the-environment")
    monkeypatch.setitem(app.config, "LIVE_INGEST_SECRET", "s3cret-for-callbacks")
    work = tmp_path / "ingest"
    (work / "logs").mkdir(parents=True)
    result = app.test_cli_runner().invoke(args=[
        "live-nginx-config", "--app-upstream", "10.0.0.5:8000", "--workdir", str(work),
        "--hls-dir", str(tmp_path / "hls"), "--http-host", "127.0.0.2", "--user", "root"])
    assert result.exit_code == 0, result.output
    config = result.output
    assert "on_publish http://10.0.0.5:8000/live/ingest/s3cret-for-callbacks/publish;" in config
    assert "location /live/ingest/ { return 404; }" in config
    assert "listen 127.0.0.1:19350;" in config  # the internal applications: loopback only
    assert "listen 127.0.0.2:8080;" in config and "listen 1935;" in config
    (work / "nginx.conf").write_text(config)
    checked = subprocess.run([find_nginx()[0], "-t", "-p", str(work), "-c", str(work / "nginx.conf"),
                              "-e", str(work / "error.log")], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    assert "syntax is ok" in checked.stderr


def test_the_config_needs_the_callback_secret(app, monkeypatch):
    monkeypatch.setitem(app.config, "LIVE_INGEST_SECRET", "")
    result = app.test_cli_runner().invoke(args=["live-nginx-config"])
    assert result.exit_code != 0 and "LIVE_INGEST_SECRET" in result.output
