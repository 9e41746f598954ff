"""Tiny generated videos (no downloads): the demo's source videos and the tests' uploads."""
from __future__ import annotations

import io

from PIL import Image, ImageDraw


def make_video(*, seconds: float = 1.0, fps: int = 10, size: tuple[int, int] = (160, 120),
               color: tuple[int, int, int] = (40, 110, 80), fmt: str = "webm") -> bytes:
    """A short clip (a coloured card with a moving bar) encoded with PyAV: WebM/VP8 or
    MP4/H.264."""
    import av

    buffer = io.BytesIO()
    codec = {"webm": "libvpx", "mp4": "libx264"}[fmt]
    with av.open(buffer, mode="w", format=fmt) as container:
        stream = container.add_stream(codec, rate=fps)
        stream.width, stream.height = size
        stream.pix_fmt = "yuv420p"
        frames = max(1, int(seconds * fps))
        for i in range(frames):
            image = Image.new("RGB", size, color)
            draw = ImageDraw.Draw(image)
            x = int((size[0] - 20) * i / max(1, frames - 1))
            draw.rectangle([x, size[1] // 3, x + 20, 2 * size[1] // 3], fill=(240, 230, 200))
            frame = av.VideoFrame.from_image(image)
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return buffer.getvalue()
