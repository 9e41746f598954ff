"""`make run`: the web server, the background ticks and — where nginx with the RTMP module can
be had — the live ingest in front of them, all stopped together with Ctrl-C.

With the ingest:   http://127.0.0.1:PORT  → nginx: /hls/ and /media/replays/ from disk, the
                                              rest proxied to gunicorn (a free local port)
                   rtmp://127.0.0.1:RTMP_PORT/live  ← OBS / ffmpeg push with a stream key
Without it:        http://127.0.0.1:PORT  → gunicorn; rooms play a pasted stream URL and the
                                              anchor's console says why broadcasting is off.

usage: python scripts/run.py [--port 5000] [--rtmp-port 1935]   (LIVE_INGEST=off: no nginx)"""
from __future__ import annotations

import argparse
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.live.ingest_server import (  # noqa: E402
    IngestLayout,
    IngestServer,
    IngestUnavailable,
    free_port,
    wait_for_port,
)

INSTANCE = ROOT / "instance"
BIN = ROOT / ".venv" / "bin"


def port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("0.0.0.0", port))  # noqa: S104 (only probing)
        except OSError:
            return False
    return True


def ingest_secret() -> str:
    """The callback secret, made once and kept under instance/ (like the session key)."""
    INSTANCE.mkdir(exist_ok=True)
    path = INSTANCE / "ingest_secret"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(24))
        path.chmod(0o600)
    return path.read_text().strip()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "5000")))
    parser.add_argument("--rtmp-port", type=int, default=int(os.environ.get("RTMP_PORT", "1935")))
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    env = dict(os.environ, SESSION_COOKIE_SECURE="0", FLASK_APP="wsgi")
    media_root = Path(env.get("MEDIA_ROOT", ROOT / "media")).resolve()
    children: list[subprocess.Popen] = []
    ingest: IngestServer | None = None
    off_reason = ""

    if not port_is_free(args.port):
        print(f"Port {args.port} is in use: try `make run PORT={args.port + 1}`.", file=sys.stderr)
        return 1

    try:
        if os.environ.get("LIVE_INGEST", "").lower() in ("0", "off", "no", "false"):
            raise IngestUnavailable("LIVE_INGEST=off")
        secret = ingest_secret()
        rtmp_port = args.rtmp_port if port_is_free(args.rtmp_port) else free_port()
        layout = IngestLayout(
            workdir=INSTANCE / "ingest", hls_dir=INSTANCE / "hls",
            replay_dir=media_root / "replays", app_upstream=f"127.0.0.1:{free_port()}",
            secret=secret, http_port=args.port, rtmp_port=rtmp_port,
            internal_port=free_port())
        ingest = IngestServer(layout)
    except IngestUnavailable as why:
        off_reason = str(why)

    if ingest is not None:
        env.update(LIVE_INGEST_SECRET=layout.secret, LIVE_RTMP_URL=layout.rtmp_url,
                   LIVE_HLS_URL="/hls", LIVE_HLS_DIR=str(layout.hls_dir),
                   MEDIA_ROOT=str(media_root), TRUSTED_PROXY_HOPS="1")
        bind = layout.app_upstream
    else:
        bind = f"127.0.0.1:{args.port}"

    def stop(*_):
        for child in children:
            if child.poll() is None:
                child.terminate()
        if ingest is not None:
            ingest.stop()
        for child in children:
            try:
                child.wait(10)
            except subprocess.TimeoutExpired:
                child.kill()

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        gunicorn = subprocess.Popen(  # noqa: S603 (our own command line)
            [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "--workers", str(args.workers),
             "--bind", bind, "wsgi:app"], cwd=ROOT, env=env)
        children.append(gunicorn)
        host, port = bind.rsplit(":", 1)
        if not wait_for_port(int(port), timeout=60):
            print("gunicorn did not start", file=sys.stderr)
            return 1
        ticks = subprocess.Popen(  # noqa: S603
            [str(BIN / "flask"), "--app", "wsgi", "tick", "--every", "30"], cwd=ROOT, env=env)
        children.append(ticks)
        if ingest is not None:
            try:
                ingest.start()
            except IngestUnavailable as why:
                print(f"\nThe live ingest did not start:\n{why}\n", file=sys.stderr)
                return 1
        print_banner(args.port, ingest, off_reason)
        warned = False
        while gunicorn.poll() is None and (ingest is None or ingest.running):
            if ticks.poll() is not None and not warned:
                print("The background ticks stopped (see above); the site keeps serving.",
                      file=sys.stderr)
                warned = True
            time.sleep(1)
        return 1
    except (KeyboardInterrupt, SystemExit):
        return 0
    finally:
        stop()


def print_banner(port: int, ingest: IngestServer | None, off_reason: str) -> None:
    from app.demo.live import DEMO_STREAM_KEY

    lines = ["", f"Serving on http://127.0.0.1:{port} (demo password: yuantou-demo)"]
    if ingest is not None:
        rtmp = ingest.layout.rtmp_url
        lines += [
            f"Live ingest (nginx RTMP) on {rtmp}",
            f"  demo anchor 玉匠人 (yujiangren@demo.yuantou.cn), stream key: {DEMO_STREAM_KEY}",
            "  (unless rotated in the console). OBS: Server = the rtmp URL, Stream key = the key.",
            "  A test pattern from the command line:",
            f"  ffmpeg -re -f lavfi -i testsrc2=size=640x360:rate=25 -f lavfi -i sine "
            f"-c:v libx264 -preset veryfast -tune zerolatency -g 25 -pix_fmt yuv420p "
            f"-c:a aac -f flv {rtmp}/{DEMO_STREAM_KEY}",
        ]
    else:
        lines += [f"Live broadcasting is off: {off_reason}.",
                  "  Rooms still play a pasted stream URL; the anchor's console says so."]
    lines.append("Ctrl-C stops everything.")
    print("\n".join(lines), flush=True)


if __name__ == "__main__":
    sys.exit(main())
