"""源头实拍: a merchant posts a short video (a file checked by its content, or an http(s)
link) about its own goods; it shows in strips on belt, portal, shop and product pages and in
the belt's feed; buyers tap through to the goods."""
from __future__ import annotations

import functools
import io

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.governance.models import SourceVideo
from app.governance.sample_video import make_video
from app.media import image_path
from tests import factories as make


@functools.lru_cache(maxsize=4)
def clip(fmt: str = "webm", seconds: float = 1.0) -> bytes:
    return make_video(fmt=fmt, seconds=seconds)


def page(response) -> str:
    return response.get_data(as_text=True)


def count(*where) -> int:
    return db.session.scalar(select(func.count()).select_from(SourceVideo).where(*where)) or 0


def post(world, role="owner", *, data: bytes | None = None, name="clip.webm", **fields):
    form = {"caption": "镇平石佛寺工作室：师傅正在雕手镯", "product_ids": [str(world.bangle.id)]}
    form.update(fields)
    if data is not None:
        form["video"] = (io.BytesIO(data), name)
    return world.client(role).post("/sell/videos", data=form, content_type="multipart/form-data")


@pytest.mark.parametrize("fmt", ["webm", "mp4"])
def test_a_merchant_posts_a_video_file_with_a_poster_frame(world, fmt):
    response = post(world, data=clip(fmt), name=f"clip.{fmt}")
    assert response.status_code == 303, page(response)[:1000]
    video = db.session.scalar(select(SourceVideo))
    assert video.kind == "file" and video.file_ext == fmt and video.duration_ms == 1000
    assert video.belt_id == world.shop.belt_id and video.source_type == world.shop.source_type
    assert image_path(video.poster_key, 480).exists()  # the poster, as WebP
    served = world.client("anonymous").get(video.file_url)
    assert served.status_code == 200 and served.mimetype == f"video/{fmt}"


def test_the_video_shows_on_belt_portal_shop_and_product_pages_and_taps_through(world):
    assert post(world, data=clip()).status_code == 303
    video = db.session.scalar(select(SourceVideo))
    anonymous = world.client("anonymous")
    for path in ("/belts/zhenping-jade", "/portals/jade", f"/shops/{world.shop.id}",
                 f"/products/{world.bangle.id}", "/belts/zhenping-jade/videos"):
        text = page(anonymous.get(path))
        assert f'href="/videos/{video.id}"' in text, path
        assert "源头实拍" in text, path
    other_product = page(anonymous.get(f"/products/{world.other_product.id}"))
    assert f"/videos/{video.id}" not in other_product
    shown = page(anonymous.get(f"/videos/{video.id}"))
    assert f'href="/products/{world.bangle.id}"' in shown  # tap through to the goods
    assert f'data-src="{video.file_url}"' in shown and "video-fallback" in shown  # poster + link
    assert "<video" not in shown and "autoplay" not in shown  # JS makes the player; no autoplay


def test_a_hosted_video_link_is_accepted_for_http_and_https_only(world):
    assert post(world, url="https://v.example.com/zhenping/carving.mp4").status_code == 303
    assert post(world, url="http://v.example.com/watch?id=1").status_code == 303
    for bad in ("javascript:alert(1)", "JavaScript:alert(1)", "data:text/html,hi", "ftp://x.cn/a.mp4",
                "//evil.example/x", "https://", "https://ex ample.com/a.mp4", "vbscript:x"):
        response = post(world, url=bad)
        assert response.status_code == 400, bad
        assert "视频链接" in page(response), bad
    assert count() == 2
    video = db.session.scalar(select(SourceVideo).where(SourceVideo.url.like("https%")))
    shown = page(world.client("anonymous").get(f"/videos/{video.id}"))
    assert 'data-src="https://v.example.com/zhenping/carving.mp4"' in shown


def test_script_in_a_caption_is_shown_as_text(world):
    caption = '<script>alert("x")</script>玉雕师傅'
    assert post(world, url="https://v.example.com/a.mp4", caption=caption).status_code == 303
    video = db.session.scalar(select(SourceVideo))
    for path in (f"/videos/{video.id}", "/belts/zhenping-jade", "/belts/zhenping-jade/videos"):
        text = page(world.client("anonymous").get(path))
        assert '<script>alert("x")</script>' not in text, path
        assert "&lt;script&gt;" in text, path


def test_non_videos_oversized_and_too_long_videos_are_refused(world, app):
    cases = [
        (make.jpeg_bytes(), "clip.mp4", 400, "不是能播放的视频"),
        (b"RIFF....WEBPVP8 not really", "clip.webm", 400, "不是能播放的视频"),
        (b"\x00" * 5000, "clip.mp4", 400, "不是能播放的视频"),
    ]
    for data, name, status, message in cases:
        response = post(world, data=data, name=name)
        assert response.status_code == status, name
        assert message in page(response)
    limit = app.config["GOVERNANCE_VIDEO_MAX_BYTES"]
    app.config["GOVERNANCE_VIDEO_MAX_BYTES"] = 1000
    try:
        response = post(world, data=clip(), name="clip.webm")
        assert response.status_code == 413 and "视频超过" in page(response)
    finally:
        app.config["GOVERNANCE_VIDEO_MAX_BYTES"] = limit
    seconds = app.config["GOVERNANCE_VIDEO_MAX_SECONDS"]
    app.config["GOVERNANCE_VIDEO_MAX_SECONDS"] = 1
    try:
        response = post(world, data=clip("webm", 3.0))
        assert response.status_code == 400 and "最长 1 秒" in page(response)
    finally:
        app.config["GOVERNANCE_VIDEO_MAX_SECONDS"] = seconds
    assert count() == 0


def test_a_body_over_the_upload_limit_is_a_clear_413(world, app):
    body = app.config["GOVERNANCE_VIDEO_MAX_BODY"]
    app.config["GOVERNANCE_VIDEO_MAX_BODY"] = 50_000
    try:
        response = post(world, data=b"\x00" * 60_000)
        assert response.status_code == 413
    finally:
        app.config["GOVERNANCE_VIDEO_MAX_BODY"] = body
    assert count() == 0


def test_videos_link_only_the_shops_own_goods(world):
    for ids, message in (([str(world.other_product.id)], "自己店铺的商品"), ([], "至少关联"),
                         (["abc"], "自己店铺的商品"), ([str(i) for i in range(1, 9)], "最多关联")):
        response = post(world, url="https://v.example.com/a.mp4", product_ids=ids)
        assert response.status_code == 400, ids
        assert message in page(response), ids
    assert post(world, url="https://v.example.com/a.mp4", caption="").status_code == 400
    assert post(world, url="https://v.example.com/a.mp4", data=clip()).status_code == 400  # both
    assert post(world).status_code == 400  # neither
    assert count() == 0


def test_only_merchants_post_and_only_their_own_videos_are_removed(world):
    for role in ("buyer", "zhenping_admin", "operator"):
        assert post(world, role, url="https://v.example.com/a.mp4").status_code == 403, role
    assert post(world, "anonymous", url="https://v.example.com/a.mp4").status_code == 302
    assert post(world, url="https://v.example.com/a.mp4").status_code == 303
    video = db.session.scalar(select(SourceVideo))
    for role, status in (("anonymous", 302), ("buyer", 403), ("other_merchant", 404),
                         ("zhenping_admin", 403)):
        assert world.client(role).post(f"/sell/videos/{video.id}/remove").status_code == status, role
    assert count(SourceVideo.status == "active") == 1
    assert world.client("owner").post(f"/sell/videos/{video.id}/remove").status_code == 303
    assert count(SourceVideo.status == "active") == 0
    assert world.client("anonymous").get(f"/videos/{video.id}").status_code == 404
    assert world.client("owner").post(f"/sell/videos/{video.id}/remove").status_code == 404


def test_a_suspended_shops_videos_disappear_with_it(world):
    assert post(world, url="https://v.example.com/a.mp4").status_code == 303
    video = db.session.scalar(select(SourceVideo))
    feed = "/belts/zhenping-jade/videos"
    assert f"/videos/{video.id}" in page(world.client("anonymous").get(feed))  # there before
    response = world.client("zhenping_admin").post(
        f"/admin/merchants/{world.shop.id}/enforcement",
        data={"kind": "suspend", "days": "7", "reason": "停业整顿七天"})
    assert response.status_code == 303
    assert f"/videos/{video.id}" not in page(world.client("anonymous").get("/belts/zhenping-jade/videos"))
    assert world.client("anonymous").get(f"/videos/{video.id}").status_code == 404
    assert post(world, url="https://v.example.com/b.mp4").status_code == 409
