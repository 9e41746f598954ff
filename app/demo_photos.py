"""Generated (never downloaded) product photos for the demo: simple studio-style drawings of
the goods, one palette per category, stored through the real photo pipeline."""
from __future__ import annotations

import io
import math
import random

from PIL import Image, ImageDraw, ImageFilter

SIZE = 960

PALETTES = {
    "jade": [((214, 232, 220), (24, 120, 80)), ((238, 236, 228), (90, 160, 120)),
             ((226, 222, 240), (130, 110, 180)), ((240, 234, 222), (40, 90, 60))],
    "apparel": [((246, 238, 232), (180, 60, 50)), ((232, 238, 246), (40, 70, 130)),
                ((240, 240, 236), (60, 60, 60)), ((248, 236, 240), (190, 110, 140))],
    "food": [((250, 244, 226), (210, 80, 40)), ((236, 246, 230), (90, 150, 50)),
             ((252, 240, 230), (220, 140, 40))],
    "tea": [((238, 244, 230), (70, 120, 50)), ((244, 236, 226), (110, 70, 40))],
    "beauty": [((250, 238, 240), (200, 90, 120)), ((240, 240, 250), (120, 110, 190))],
    "general": [((236, 242, 246), (50, 120, 160)), ((246, 242, 236), (160, 120, 70))],
}


def _shade(color, factor):
    return tuple(max(0, min(255, int(c * factor))) for c in color)


def _background(draw: ImageDraw.ImageDraw, top, rng: random.Random) -> None:
    bottom = _shade(top, 0.9)
    for y in range(SIZE):
        t = y / SIZE
        draw.line([(0, y), (SIZE, y)], fill=tuple(int(a + (b - a) * t) for a, b in zip(
            top, bottom, strict=True)))
    # a soft shadow "table" line
    draw.ellipse([200, 760, 760, 830], fill=_shade(top, 0.82))


def _bangle(draw, ink, rng):
    width = rng.randint(70, 110)
    draw.ellipse([210, 200, 750, 740], outline=ink, width=width)
    draw.arc([250, 240, 560, 520], 200, 260, fill=_shade(ink, 1.6), width=18)


def _pendant(draw, ink, rng):
    draw.line([(480, 80), (330, 330)], fill=(120, 90, 60), width=8)
    draw.line([(480, 80), (630, 330)], fill=(120, 90, 60), width=8)
    draw.ellipse([320, 300, 640, 720], fill=ink)
    draw.ellipse([380, 360, 470, 470], fill=_shade(ink, 1.5))


def _beads(draw, ink, rng):
    for i in range(18):
        angle = 2 * math.pi * i / 18
        x, y = 480 + 250 * math.cos(angle), 470 + 250 * math.sin(angle)
        shade = _shade(ink, rng.uniform(0.8, 1.4))
        draw.ellipse([x - 52, y - 52, x + 52, y + 52], fill=shade)


def _ornament(draw, ink, rng):
    points = [(200, 740), (330, 380), (420, 500), (520, 230), (640, 470), (760, 740)]
    draw.polygon(points, fill=ink)
    draw.polygon([(330, 380), (380, 450), (300, 520)], fill=_shade(ink, 1.4))


def _raw_stone(draw, ink, rng):
    cx, cy = 480, 480
    points = []
    for i in range(9):
        angle = 2 * math.pi * i / 9 + rng.uniform(-0.2, 0.2)
        radius = rng.randint(200, 300)
        points.append((cx + radius * math.cos(angle), cy + radius * math.sin(angle)))
    draw.polygon(points, fill=_shade(ink, 0.7))
    draw.polygon(points[:4] + [(cx, cy)], fill=ink)


def _garment(draw, ink, rng):
    body = [(330, 250), (400, 210), (560, 210), (630, 250), (760, 400), (690, 460),
            (630, 400), (630, 760), (330, 760), (330, 400), (270, 460), (200, 400)]
    draw.polygon(body, fill=ink)
    draw.polygon([(400, 210), (480, 300), (560, 210)], fill=_shade(ink, 1.4))
    if rng.random() < 0.5:
        for y in range(320, 760, 60):
            draw.line([(330, y), (630, y)], fill=_shade(ink, 0.8), width=10)


def _fruit(draw, ink, rng):
    for _ in range(6):
        x, y, r = rng.randint(260, 700), rng.randint(300, 660), rng.randint(90, 140)
        draw.ellipse([x - r, y - r, x + r, y + r], fill=_shade(ink, rng.uniform(0.8, 1.2)))
        draw.ellipse([x - 20, y - r - 30, x + 30, y - r + 10], fill=(80, 140, 60))


def _tea(draw, ink, rng):
    draw.rounded_rectangle([300, 300, 660, 760], radius=40, fill=_shade(ink, 0.8))
    for _ in range(5):
        x, y = rng.randint(330, 620), rng.randint(150, 330)
        draw.ellipse([x - 70, y - 30, x + 70, y + 30], fill=ink)


def _bottle(draw, ink, rng):
    draw.rounded_rectangle([380, 300, 580, 760], radius=50, fill=ink)
    draw.rectangle([440, 200, 520, 300], fill=_shade(ink, 0.6))
    draw.rectangle([400, 470, 560, 590], fill=(250, 250, 250))


def _box(draw, ink, rng):
    draw.polygon([(260, 380), (480, 260), (700, 380), (480, 500)], fill=_shade(ink, 1.3))
    draw.polygon([(260, 380), (480, 500), (480, 760), (260, 640)], fill=ink)
    draw.polygon([(480, 500), (700, 380), (700, 640), (480, 760)], fill=_shade(ink, 0.75))


SHAPES = {
    "jade-bangle": _bangle, "jade-pendant": _pendant, "jade-bracelet": _beads,
    "jade-ornament": _ornament, "jade-raw": _raw_stone, "womenswear": _garment,
    "menswear": _garment, "kidswear": _garment, "fur-leather": _garment, "knitwear": _garment,
    "fresh-produce": _fruit, "snacks": _box, "tea-green": _tea, "tea-dark": _tea,
    "beauty": _bottle, "household": _box,
}


def draw_photo(category_slug: str, palette_group: str, variant: int) -> bytes:
    """A deterministic JPEG for (category, variant)."""
    rng = random.Random(f"{category_slug}:{variant}")
    background, ink = rng.choice(PALETTES[palette_group])
    ink = _shade(ink, rng.uniform(0.85, 1.15))
    image = Image.new("RGB", (SIZE, SIZE))
    draw = ImageDraw.Draw(image)
    _background(draw, background, rng)
    SHAPES[category_slug](draw, ink, rng)
    image = image.filter(ImageFilter.SMOOTH)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85)
    return buffer.getvalue()
