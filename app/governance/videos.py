"""源头实拍: short videos from the source, posted by a shop and linked to its goods.

A video is an uploaded file (checked by its content with PyAV: a real video container with a
video stream a phone browser plays, under the size and length limits; a poster frame is taken
from it and stored through the photo pipeline as WebP) or a link to a hosted video (http/https
only). Captions are plain text, shown escaped. Strips on belt, portal, shop and product pages
are one small indexed query each; videos of suspended shops disappear with them."""
from __future__ import annotations

import functools
import hashlib
import io
import os
import tempfile
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import gettext as _
from PIL import Image
from sqlalchemy import bindparam, select
from sqlalchemy.orm import contains_eager, selectinload

from app import clock
from app.accounts.models import User
from app.catalog.models import Product, ProductStatus
from app.catalog.services import CardShop, listable_products, now_param
from app.db import given, plain_rows, where_given
from app.exceptions import Conflict, InvalidInput, NotFound
from app.extensions import db
from app.governance.models import SourceVideo, SourceVideoProduct, VideoKind
from app.inputs import clean_text, has_controls
from app.media import ImageRejected, media_root, store_image
from app.merchants.models import Merchant
from app.merchants.services import open_shops_clause, own_shop

MAX_CAPTION = 200
MAX_PRODUCTS = 6
MAX_URL = 500
# Containers and codecs phone browsers play in <video>: MP4 (H.264/HEVC/AV1) and WebM (VP8/VP9/AV1).
CONTAINERS = {"mp4": ("mov", "mp4"), "webm": ("matroska", "webm")}
CODECS = {"mp4": {"h264", "hevc", "av1"}, "webm": {"vp8", "vp9", "av1"}}
MIME = {"mp4": "video/mp4", "webm": "video/webm"}


class VideoRejected(InvalidInput):
    """The upload is not a video we accept (400), or too large (413)."""


class VideoTooLarge(VideoRejected):
    status = 413


@dataclass
class VideoFacts:
    ext: str
    duration_ms: int
    width: int
    height: int
    poster: Image.Image


@dataclass
class VideoDraft:
    caption: str
    product_ids: list[int] = field(default_factory=list)
    url: str = ""


def max_bytes() -> int:
    return current_app.config["GOVERNANCE_VIDEO_MAX_BYTES"]


def max_seconds() -> int:
    return current_app.config["GOVERNANCE_VIDEO_MAX_SECONDS"]


def too_large_message() -> str:
    return _("视频超过 %(mb)d MB，请剪短或压缩后再上传。", mb=max_bytes() // (1024 * 1024))


def read_video(stream) -> bytes:
    """Read at most the limit + 1 byte, so an oversized upload is refused without reading it all."""
    data = stream.read(max_bytes() + 1)
    if len(data) > max_bytes():
        raise VideoTooLarge(too_large_message(), field="video")
    if not data:
        raise VideoRejected(_("请选择一个视频文件。"), field="video")
    return data


def _container_ext(format_name: str) -> str | None:
    names = set(format_name.split(","))
    for ext, markers in CONTAINERS.items():
        if names & set(markers):
            return ext
    return None


def probe_video(data: bytes) -> VideoFacts:
    """Open the bytes as a media container with PyAV and check what is inside (never the name)."""
    import av

    not_video = VideoRejected(_("这不是能播放的视频，请上传 MP4（H.264）或 WebM 格式的视频。"),
                              field="video")
    if len(data) > max_bytes():
        raise VideoTooLarge(too_large_message(), field="video")
    try:
        with av.open(io.BytesIO(data), mode="r", metadata_errors="ignore") as container:
            ext = _container_ext(container.format.name or "")
            if ext is None or not container.streams.video:
                raise not_video
            stream = container.streams.video[0]
            if (stream.codec_context.name or "") not in CODECS[ext]:
                raise not_video
            declared = (stream.codec_context.width or 0) * (stream.codec_context.height or 0)
            if declared > current_app.config["MAX_IMAGE_PIXELS"]:
                raise not_video  # a frame bigger than any photo we accept: not decoded
            seconds = None
            if container.duration:
                seconds = container.duration / av.time_base
            elif stream.duration and stream.time_base:
                seconds = float(stream.duration * stream.time_base)
            poster = None
            last = Fraction(0)
            for frame in container.decode(stream):
                poster = frame.to_image()
                break
            if seconds is None:  # no duration in the header: walk the packets (no decoding)
                container.seek(0)
                for packet in container.demux(stream):
                    if packet.pts is not None and packet.time_base is not None:
                        last = max(last, packet.pts * packet.time_base)
                seconds = float(last)
            if poster is None:
                raise not_video
            width, height = poster.size
    except VideoRejected:
        raise
    except Exception:  # noqa: BLE001 (any failure to parse hostile bytes is "not a video")
        raise not_video from None
    if seconds > max_seconds():
        raise VideoRejected(_("视频长 %(s)d 秒，短视频最长 %(max)d 秒。", s=int(seconds),
                              max=max_seconds()), field="video")
    return VideoFacts(ext, int(seconds * 1000), width, height, poster)


def _store_file(data: bytes, ext: str) -> str:
    key = hashlib.sha256(data).hexdigest()[:32]
    path = media_root() / "video" / key[:2] / f"{key}.{ext}"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    return key


def _store_poster(image: Image.Image):
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, "JPEG", quality=85)
    try:
        return store_image(buffer.getvalue())
    except ImageRejected:
        raise VideoRejected(_("无法从视频中取出封面画面。"), field="video") from None


def check_url(raw: str | None) -> str:
    """A hosted video's address: http(s) with a host, no spaces or control characters."""
    text = (raw or "").strip()
    if len(text) > MAX_URL:
        raise InvalidInput(_("视频链接不能超过 %(n)d 个字符。", n=MAX_URL), field="url")
    if has_controls(text) or any(ch.isspace() for ch in text):
        raise InvalidInput(_("视频链接格式不正确。"), field="url")
    try:
        parts = urlsplit(text)
    except ValueError:
        raise InvalidInput(_("视频链接格式不正确。"), field="url") from None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise InvalidInput(_("视频链接只能是 http:// 或 https:// 开头的网址。"), field="url")
    return text


def check_caption(raw: str | None) -> str:
    """Plain text, kept as typed (markup is shown as text, never run)."""
    text = " ".join(clean_text(raw, max_len=MAX_CAPTION).split())
    if len(text) < 2:
        raise InvalidInput(_("请写一句视频说明（至少 2 个字）。"), field="caption")
    if len(text) > MAX_CAPTION:
        raise InvalidInput(_("视频说明不能超过 %(n)d 个字（现在 %(len)d 个）。", n=MAX_CAPTION,
                             len=len(text)), field="caption")
    return text



def _own_products(shop: Merchant, product_ids: list[int]) -> list[Product]:
    ids = list(dict.fromkeys(product_ids))
    if not ids:
        raise InvalidInput(_("请至少关联一件自己店铺的商品。"), field="product_ids")
    if len(ids) > MAX_PRODUCTS:
        raise InvalidInput(_("一个视频最多关联 %(n)d 件商品。", n=MAX_PRODUCTS), field="product_ids")
    found = {p.id: p for p in db.session.scalars(select(Product).where(Product.id.in_(ids)))}
    for pid in ids:
        product = found.get(pid)
        if product is None or product.merchant_id != shop.id:
            raise InvalidInput(_("只能关联自己店铺的商品。"), field="product_ids")
        if product.status == ProductStatus.delisted:
            raise InvalidInput(_("“%(title)s”已被平台下架，不能关联。", title=product.title),
                               field="product_ids")
    return [found[pid] for pid in ids]


def post_video(actor: User | None, draft: VideoDraft, data: bytes | None = None) -> SourceVideo:
    """发布源头视频: a file (checked by content, stored with a poster frame) or a link."""
    shop = own_shop(actor, _("开店后才能发布源头视频。"))
    if not shop.is_open(clock.now()):
        raise Conflict(_("店铺暂停营业期间不能发布视频。"))
    caption = check_caption(draft.caption)
    products = _own_products(shop, draft.product_ids)
    video = SourceVideo(merchant_id=shop.id, industry_id=shop.industry_id, belt_id=shop.belt_id,
                        source_type=shop.source_type, caption=caption, created_at=clock.now())
    if data:
        if draft.url.strip():
            raise InvalidInput(_("上传视频和填写链接二选一。"), field="url")
        facts = probe_video(data)
        poster = _store_poster(facts.poster)
        video.kind = VideoKind.file
        video.file_key, video.file_ext = _store_file(data, facts.ext), facts.ext
        video.size_bytes, video.duration_ms = len(data), facts.duration_ms
        video.poster_key, video.width, video.height = poster.key, facts.width, facts.height
    elif draft.url.strip():
        video.kind, video.url = VideoKind.link, check_url(draft.url)
    else:
        raise InvalidInput(_("请上传一个视频文件，或填写视频链接。"), field="video")
    video.links = [SourceVideoProduct(product_id=p.id, position=i) for i, p in enumerate(products)]
    db.session.add(video)
    db.session.commit()
    return video


def remove_video(actor: User | None, video_id: int) -> SourceVideo:
    shop = own_shop(actor, _("开店后才能发布源头视频。"))
    video = db.session.get(SourceVideo, video_id)
    if video is None or video.merchant_id != shop.id or video.status != "active":
        raise NotFound(_("视频不存在。"))
    video.status = "removed"
    db.session.commit()
    return video


def shop_videos(actor: User | None) -> tuple[Merchant, list[SourceVideo]]:
    shop = own_shop(actor, _("开店后才能发布源头视频。"))
    videos = db.session.scalars(
        select(SourceVideo).options(selectinload(SourceVideo.links).selectinload(SourceVideoProduct.product))
        .where(SourceVideo.merchant_id == shop.id, SourceVideo.status == "active")
        .order_by(SourceVideo.created_at.desc(), SourceVideo.id.desc()).limit(100))
    return shop, list(videos)


# --- what buyers see ------------------------------------------------------------------------

def _public(now=None):
    return (select(SourceVideo).join(SourceVideo.merchant)
            .options(contains_eager(SourceVideo.merchant))
            .where(SourceVideo.status == "active", open_shops_clause(now))
            .order_by(SourceVideo.created_at.desc(), SourceVideo.id.desc()))


@dataclass(frozen=True, slots=True)
class VideoCard:
    """A video as a 源头实拍 strip shows it, read as plain columns (the attribute names are the
    SourceVideo's, so the strip reads either)."""

    id: int
    caption: str
    kind: str
    poster_key: str | None
    width: int
    height: int
    duration_ms: int
    merchant: CardShop


@functools.cache
def _strip_statement(shape: tuple[str, ...]):
    """The strip's query for the subjects named in `shape`, built once per shape and run with
    parameters (building a select costs more Python than running it; pages run this one)."""
    query = where_given(_public(now_param()), tuple(n for n in shape if n != "product_id"), {
        "belt_id": SourceVideo.belt_id, "industry_id": SourceVideo.industry_id,
        "merchant_id": SourceVideo.merchant_id})
    if "product_id" in shape:  # through the video's goods
        query = query.join(SourceVideoProduct, SourceVideoProduct.video_id == SourceVideo.id) \
            .where(SourceVideoProduct.product_id == bindparam("product_id"))
    return query.with_only_columns(
        SourceVideo.id, SourceVideo.caption, SourceVideo.kind, SourceVideo.poster_key,
        SourceVideo.width, SourceVideo.height, SourceVideo.duration_ms,
        Merchant.id, Merchant.name, Merchant.certified).limit(bindparam("limit"))


def strip(*, belt_id: int | None = None, industry_id: int | None = None,
          merchant_id: int | None = None, product_id: int | None = None,
          limit: int = 6) -> list[VideoCard]:
    """The newest videos for a 源头实拍 strip: one indexed query, plain rows."""
    subjects = given(belt_id=belt_id, industry_id=industry_id, merchant_id=merchant_id,
                     product_id=product_id)
    return [VideoCard(*row[:7], CardShop(*row[7:]))
            for row in plain_rows(_strip_statement(tuple(subjects)),
                                  {**subjects, "limit": limit, "now": clock.now()})]


@dataclass
class FeedPage:
    videos: list[SourceVideo]
    goods: dict[int, list[Product]]  # video id → its listable goods
    page: int
    has_more: bool


def _listable_goods(video_ids: list[int]) -> dict[int, list[Product]]:
    if not video_ids:
        return {}
    rows = db.session.execute(
        listable_products().add_columns(SourceVideoProduct.video_id).join(Product.merchant)
        .join(SourceVideoProduct, SourceVideoProduct.product_id == Product.id)
        .options(contains_eager(Product.merchant), selectinload(Product.photos))
        .where(SourceVideoProduct.video_id.in_(video_ids))
        .order_by(SourceVideoProduct.video_id, SourceVideoProduct.position)).unique().all()
    goods: dict[int, list[Product]] = {}
    for product, video_id in rows:
        goods.setdefault(video_id, []).append(product)
    return goods


def belt_feed(belt_id: int, page: int = 1, size: int = 10) -> FeedPage:
    rows = list(db.session.scalars(_public().where(SourceVideo.belt_id == belt_id)
                                   .offset((page - 1) * size).limit(size + 1)))
    videos = rows[:size]
    return FeedPage(videos, _listable_goods([v.id for v in videos]), page, len(rows) > size)


def public_video(video_id: int) -> tuple[SourceVideo, list[Product]]:
    video = db.session.scalar(_public().where(SourceVideo.id == video_id))
    if video is None:
        raise NotFound(_("视频不存在或已下线。"))
    return video, _listable_goods([video.id]).get(video.id, [])


def playable_url(video: SourceVideo) -> tuple[str, str] | None:
    """(src, mime type) when <video> can play it here: our own files, or an https link to an
    .mp4/.webm file (the CSP allows https media); None for a page to open instead."""
    if video.kind == VideoKind.file:
        return video.file_url, MIME.get(video.file_ext, "video/mp4")
    parts = urlsplit(video.url)
    path = parts.path.lower()
    if parts.scheme == "https":
        for ext, mime in MIME.items():
            if path.endswith("." + ext):
                return video.url, mime
    return None
