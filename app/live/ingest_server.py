"""Running the ingest on one machine: nginx with the RTMP module, its configuration written
for the ports and folders at hand. `make run` (scripts/run.py), the tests and bench/live.py
all start it through `IngestServer`; production uses the same layout (docs/DEPLOYING.md).

Layout of the generated nginx.conf:

    rtmp server :<rtmp_port>            application live: anchors push here with their key;
                                        on_publish / on_update / on_publish_done call
                                        the app; the
                                        renamed stream is pushed to the internal server
    rtmp server 127.0.0.1:<internal>    application hls: writes /hls/<name>/index.m3u8 with
                                        1 s fragments; application replay: keeps every
                                        fragment under MEDIA_ROOT/replays/<name>/
    http server :<http_port>            /hls/ and /media/replays/ from disk, everything
                                        else proxied to the app (same origin, like a real
                                        proxy or CDN in front); /live/ingest/ is 404 here

No Python module of the app imports this at request time; it only writes files and starts
processes."""
from __future__ import annotations

import contextlib
import getpass
import grp
import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

MODULE_DIRS = ("/usr/lib/nginx/modules", "/usr/share/nginx/modules", "/usr/lib64/nginx/modules")
MODULE_FILE = "ngx_rtmp_module.so"
PACKAGES = ("nginx-light", "libnginx-mod-rtmp", "ffmpeg")


class IngestUnavailable(RuntimeError):
    """nginx or its RTMP module is not installed here; the message says what is missing."""


def find_nginx() -> tuple[str, str]:
    """(nginx binary, RTMP module path), or IngestUnavailable saying what to install."""
    binary = shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if os.access(p, os.X_OK)), None)
    if binary is None:
        raise IngestUnavailable("nginx is not installed (apt-get install nginx-light "
                                "libnginx-mod-rtmp)")
    for folder in MODULE_DIRS:
        module = Path(folder) / MODULE_FILE
        if module.is_file():
            return binary, str(module)
    raise IngestUnavailable("nginx's RTMP module is not installed (apt-get install "
                            "libnginx-mod-rtmp)")


def find_ffmpeg() -> str:
    binary = shutil.which("ffmpeg")
    if binary is None:
        raise IngestUnavailable("ffmpeg is not installed (apt-get install ffmpeg)")
    return binary


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port: int, timeout: float = 10.0, host: str = "127.0.0.1") -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.05)
    return False


@dataclass
class IngestLayout:
    workdir: Path            # nginx.conf, pid, logs, temp files
    hls_dir: Path            # live playlists and fragments (LIVE_HLS_DIR)
    replay_dir: Path         # MEDIA_ROOT/replays
    app_upstream: str        # host:port of the app (gunicorn or the test server)
    secret: str              # LIVE_INGEST_SECRET: part of the callback URLs
    http_port: int
    rtmp_port: int
    internal_port: int
    rtmp_host: str = "127.0.0.1"   # the host anchors are told (LIVE_RTMP_URL)
    http_host: str = "127.0.0.1"   # where the HTTP side listens (a proxy or CDN pulls from it)
    user: str | None = None        # nginx workers' user when started as root (None: ours)
    fragment_seconds: int = 1
    playlist_seconds: int = 6
    # nginx asks the app this often whether a publisher may go on (suspended shop, rotated
    # key): a refusal drops it within this many seconds.
    update_seconds: int = 10

    @property
    def rtmp_url(self) -> str:
        """What OBS calls the server (LIVE_RTMP_URL)."""
        return f"rtmp://{self.rtmp_host}:{self.rtmp_port}/live"

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def callback_base(self) -> str:
        return f"http://{self.app_upstream}/live/ingest/{self.secret}"


def _user_line(user: str | None) -> str:
    """When nginx starts as root its workers would run as `nobody`, which can't write the
    folders we made; run them as whoever started it (a non-root nginx ignores this)."""
    if user:
        return f"user {user};"
    if os.geteuid() != 0:
        return ""
    return f"user {getpass.getuser()} {grp.getgrgid(os.getegid()).gr_name};"


def render_config(layout: IngestLayout, module: str) -> str:
    w = layout.workdir
    frag = layout.fragment_seconds
    return f"""# The live ingest, generated by app/live/ingest_server.py (make run, the tests, bench/live.py,
# `flask live-nginx-config`). Start: nginx -p <workdir> -c <this file>
load_module {module};
daemon off;
worker_processes 1;
{_user_line(layout.user)}
pid {w}/nginx.pid;
error_log {w}/error.log warn;
events {{ worker_connections 4096; }}

rtmp {{
    # Anchors push rtmp://<host>:{layout.rtmp_port}/live/<stream key>.
    server {{
        listen {layout.rtmp_port};
        chunk_size 4096;
        application live {{
            live on;
            deny play all;
            # A publisher that sends nothing for 10 s (network cut) is dropped, so its
            # on_publish_done arrives and the room ends.
            drop_idle_publisher 10s;
            notify_method post;
            # 403 refuses; 302 + Location renames the stream to its public name. The HLS
            # writer of this same application would still use the key, so nothing is
            # written here: the renamed stream is pushed to the internal applications.
            on_publish {layout.callback_base}/publish;
            on_publish_done {layout.callback_base}/publish_done;
            # Every few seconds: may this publisher go on? A 4xx drops it (a shop suspended
            # or a key rotated mid-broadcast), then on_publish_done ends the room.
            on_update {layout.callback_base}/update;
            notify_update_timeout {layout.update_seconds}s;
            push rtmp://127.0.0.1:{layout.internal_port}/hls;
            push rtmp://127.0.0.1:{layout.internal_port}/replay;
        }}
    }}
    # Internal only (loopback): the renamed stream written as HLS.
    server {{
        listen 127.0.0.1:{layout.internal_port};
        application hls {{
            live on;
            allow publish 127.0.0.1;
            deny publish all;
            deny play all;
            hls on;
            hls_path {layout.hls_dir};
            hls_nested on;
            hls_fragment {frag}s;
            hls_max_fragment {max(frag * 3, 3)}s;
            hls_playlist_length {layout.playlist_seconds}s;
            hls_cleanup on;
        }}
        application replay {{
            live on;
            allow publish 127.0.0.1;
            deny publish all;
            deny play all;
            hls on;
            hls_path {layout.replay_dir};
            hls_nested on;
            hls_fragment 4s;
            hls_playlist_length 12h;
            hls_cleanup off;
            notify_method post;
            on_publish_done {layout.callback_base}/replay_done;
        }}
    }}
}}

http {{
    types {{
        text/html html;
        application/vnd.apple.mpegurl m3u8;
        video/mp2t ts;
    }}
    default_type application/octet-stream;
    access_log off;
    server_tokens off;
    sendfile on;
    tcp_nopush on;
    keepalive_timeout 30s;
    client_max_body_size 60m;
    client_body_temp_path {w}/body;
    proxy_temp_path {w}/proxy;
    fastcgi_temp_path {w}/fastcgi;
    uwsgi_temp_path {w}/uwsgi;
    scgi_temp_path {w}/scgi;

    upstream yuantou_app {{
        server {layout.app_upstream};
        keepalive 32;
    }}

    server {{
        listen {layout.http_host}:{layout.http_port};
        add_header X-Content-Type-Options nosniff always;

        # Live playlists change every fragment; fragments never change.
        location /hls/ {{
            alias {layout.hls_dir}/;
            location ~ \\.m3u8$ {{ add_header Cache-Control "no-cache" always;
                                  add_header X-Content-Type-Options nosniff always; }}
            location ~ \\.ts$ {{ add_header Cache-Control "public, max-age=60" always;
                                add_header X-Content-Type-Options nosniff always; }}
            location ~ /$ {{ return 404; }}
        }}
        # Replays: the VOD playlist and its fragments (written once).
        location /media/replays/ {{
            alias {layout.replay_dir}/;
            location ~ \\.(m3u8|ts)$ {{ add_header Cache-Control "public, max-age=3600" always;
                                       add_header X-Content-Type-Options nosniff always; }}
            location ~ /$ {{ return 404; }}
        }}
        # nginx's callbacks reach the app directly, never from this side.
        location /live/ingest/ {{ return 404; }}
        location / {{
            proxy_pass http://yuantou_app;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header X-Forwarded-Host $http_host;
            proxy_read_timeout 60s;
        }}
    }}
}}
"""


class IngestServer:
    """nginx with the RTMP module, started in its own process group."""

    def __init__(self, layout: IngestLayout):
        self.layout = layout
        self.binary, self.module = find_nginx()
        self.process: subprocess.Popen | None = None

    @property
    def config_path(self) -> Path:
        return self.layout.workdir / "nginx.conf"

    def write_config(self) -> Path:
        layout = self.layout
        for folder in (layout.workdir, layout.hls_dir, layout.replay_dir):
            folder.mkdir(parents=True, exist_ok=True)
        self.config_path.write_text(render_config(layout, self.module))
        return self.config_path

    def start(self, timeout: float = 15.0) -> IngestServer:
        self.write_config()
        log = open(self.layout.workdir / "nginx.out", "ab")  # noqa: SIM115 (kept while running)
        self.process = subprocess.Popen(  # noqa: S603 (our own command line)
            [self.binary, "-p", str(self.layout.workdir), "-c", str(self.config_path),
             "-e", str(self.layout.workdir / "error.log")],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True)
        log.close()
        ready = all(wait_for_port(p, timeout) for p in (self.layout.rtmp_port,
                                                          self.layout.http_port))
        if not ready or self.process.poll() is not None:
            self.kill()
            raise IngestUnavailable("nginx did not start:\n" + self.log_tail())
        return self

    def log_tail(self, lines: int = 30) -> str:
        text = ""
        for name in ("nginx.out", "error.log"):
            path = self.layout.workdir / name
            if path.exists():
                text += path.read_text(errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self, timeout: float = 10.0) -> None:
        """Graceful: nginx ends its publishers' sessions (and calls on_publish_done)."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGQUIT)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout)
        self.kill()

    def kill(self) -> None:
        """Like a crash: every nginx process at once, nobody calls back."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(5)


def push_test_stream(rtmp_url: str, *, seconds: float | None = None, fragment_seconds: int = 1,
                     size: str = "426x240", rate: int = 25, clock_overlay: bool = False,
                     log: Path | None = None) -> subprocess.Popen:
    """Broadcast a test pattern the way an encoder would: testsrc + a sine tone, encoded live
    with libx264 (zerolatency, a keyframe every fragment) and AAC, pushed over RTMP.
    `clock_overlay` stamps the wall-clock capture time on each frame (bench/live.py)."""
    video = f"testsrc2=size={size}:rate={rate}"
    if clock_overlay:
        video += (",drawtext=text='%{localtime\\:%T}.%{eif\\:mod(t*1000\\,1000)\\:d\\:3}':"
                  "x=8:y=8:fontsize=18:fontcolor=white:box=1:boxcolor=black")
    command = [find_ffmpeg(), "-hide_banner", "-loglevel", "error", "-nostdin", "-re",
               "-f", "lavfi", "-i", video,
               "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100"]
    if seconds is not None:
        command += ["-t", f"{seconds}"]
    gop = rate * fragment_seconds
    command += ["-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency",
                "-g", str(gop), "-keyint_min", str(gop), "-sc_threshold", "0",
                "-pix_fmt", "yuv420p", "-b:v", "600k",
                "-c:a", "aac", "-b:a", "64k", "-ar", "44100",
                "-f", "flv", rtmp_url]
    out = open(log, "ab") if log else subprocess.DEVNULL  # noqa: SIM115
    process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=out,  # noqa: S603
                               stderr=subprocess.STDOUT if log else subprocess.DEVNULL,
                               start_new_session=True)
    if log:
        out.close()
    return process
