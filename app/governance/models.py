"""Market governance (严格管理市场) and source content: short videos from the source,
buyers' complaints, and what a belt base does about a shop (warning, delisting, suspension,
revoking certification)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import UTCDateTime, utcnow
from app.extensions import db


class VideoKind:
    file = "file"  # uploaded, stored under MEDIA_ROOT with a poster frame
    link = "link"  # a video hosted elsewhere (http/https)


class SourceVideo(db.Model):
    """源头实拍: a short video of the source (workshop, orchard, stall) posted by a shop,
    linked to some of its goods, tagged with the shop's source type and belt."""

    __tablename__ = "source_videos"
    __table_args__ = (
        CheckConstraint("kind IN ('file','link')", name="kind_known"),
        CheckConstraint("status IN ('active','removed')", name="status_known"),
        # Each strip is one walk of one of these: a belt's, an industry's or a shop's newest.
        Index("ix_source_videos_belt", "belt_id", "status", "created_at"),
        Index("ix_source_videos_industry", "industry_id", "status", "created_at"),
        Index("ix_source_videos_merchant", "merchant_id", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"))
    # Copied from the shop when posted, so strips filter without a join.
    industry_id: Mapped[int] = mapped_column(ForeignKey("industries.id"))
    belt_id: Mapped[int | None] = mapped_column(ForeignKey("belts.id"))
    source_type: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(8))
    caption: Mapped[str] = mapped_column(String(200), default="")
    # kind=file: the stored file (MEDIA_ROOT/video/<key[:2]>/<key>.<ext>) and its facts.
    file_key: Mapped[str | None] = mapped_column(String(64))
    file_ext: Mapped[str] = mapped_column(String(8), default="")
    size_bytes: Mapped[int] = mapped_column(default=0)
    duration_ms: Mapped[int] = mapped_column(default=0)
    # kind=link: where it is hosted.
    url: Mapped[str] = mapped_column(String(500), default="")
    # The poster frame, stored through the photo pipeline (WebP sizes under MEDIA_ROOT/img).
    poster_key: Mapped[str | None] = mapped_column(String(64))
    width: Mapped[int] = mapped_column(default=0)
    height: Mapped[int] = mapped_column(default=0)
    status: Mapped[str] = mapped_column(String(10), default="active")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    merchant = relationship("Merchant")
    belt = relationship("Belt")
    links: Mapped[list[SourceVideoProduct]] = relationship(
        back_populates="video", cascade="all, delete-orphan", order_by="SourceVideoProduct.position")

    @property
    def file_url(self) -> str:
        if self.kind != VideoKind.file or not self.file_key:
            return ""
        return f"/media/video/{self.file_key[:2]}/{self.file_key}.{self.file_ext}"


class SourceVideoProduct(db.Model):
    """A video's link to one of its shop's goods (tap through from the video to buy)."""

    __tablename__ = "source_video_products"

    video_id: Mapped[int] = mapped_column(ForeignKey("source_videos.id", ondelete="CASCADE"),
                                          primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), primary_key=True,
                                            index=True)
    position: Mapped[int] = mapped_column(default=0)

    video: Mapped[SourceVideo] = relationship(back_populates="links")
    product = relationship("Product")


class ComplaintKind:
    fake = "fake"                    # 假货
    not_as_described = "not_as_described"  # 描述不符
    certificate = "certificate"      # 证书不符
    service = "service"              # 服务

    ALL = (fake, not_as_described, certificate, service)


class ComplaintStatus:
    open = "open"          # waiting for the base's decision
    upheld = "upheld"      # 投诉成立
    rejected = "rejected"  # 投诉不成立


class Complaint(db.Model):
    """A buyer's complaint about one of their orders, in the queue of the shop's belt base
    (the operators' queue when the shop has no belt). One per order (a unique constraint)."""

    __tablename__ = "complaints"
    __table_args__ = (
        CheckConstraint("kind IN ('fake','not_as_described','certificate','service')",
                        name="kind_known"),
        CheckConstraint("status IN ('open','upheld','rejected')", name="status_known"),
        Index("ix_complaints_queue", "belt_id", "status", "created_at"),
        Index("ix_complaints_merchant", "merchant_id", "status", "decided_at"),
        Index("ix_complaints_buyer", "buyer_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), unique=True)
    buyer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"))
    # The shop's belt when filed: whose base decides (None: the operators).
    belt_id: Mapped[int | None] = mapped_column(ForeignKey("belts.id"))
    # Whether the shop was certified when the complaint was filed (the dashboard's split).
    merchant_certified: Mapped[bool] = mapped_column(default=False)
    kind: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default=ComplaintStatus.open)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The merchant answers once; the buyer adds once (each a conditional UPDATE on NULL).
    answer: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    addition: Mapped[str | None] = mapped_column(Text)
    added_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decision_reason: Mapped[str] = mapped_column(String(200), default="")

    order = relationship("Order")
    buyer = relationship("User", foreign_keys=[buyer_id])
    merchant = relationship("Merchant")
    belt = relationship("Belt")
    decided_by = relationship("User", foreign_keys=[decided_by_id])
    photos: Mapped[list[ComplaintPhoto]] = relationship(
        back_populates="complaint", cascade="all, delete-orphan", order_by="ComplaintPhoto.position")
    actions: Mapped[list[EnforcementAction]] = relationship(
        back_populates="complaint", order_by="EnforcementAction.id")


class ComplaintPhoto(db.Model):
    __tablename__ = "complaint_photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id", ondelete="CASCADE"),
                                              index=True)
    position: Mapped[int] = mapped_column(default=0)
    image_key: Mapped[str] = mapped_column(String(64))
    width: Mapped[int]
    height: Mapped[int]

    complaint: Mapped[Complaint] = relationship(back_populates="photos")


class ActionKind:
    warning = "warning"        # 警告
    delist = "delist"          # 下架商品
    suspend = "suspend"        # 暂停营业 (until a time)
    reinstate = "reinstate"    # 提前恢复营业
    revoke = "revoke"          # 撤销认证 (through the certification workflow)

    ALL = (warning, delist, suspend, reinstate, revoke)


class EnforcementAction(db.Model):
    """What a base did to a shop, and why (also in the audit log). Read by the shop's owner
    and the base; the shop's notifications carry the reason."""

    __tablename__ = "enforcement_actions"
    __table_args__ = (
        CheckConstraint("kind IN ('warning','delist','suspend','reinstate','revoke')",
                        name="kind_known"),
        Index("ix_enforcement_merchant", "merchant_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"))
    belt_id: Mapped[int | None] = mapped_column(ForeignKey("belts.id"))
    complaint_id: Mapped[int | None] = mapped_column(ForeignKey("complaints.id"), index=True)
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id"))
    kind: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str] = mapped_column(String(200))
    until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    merchant = relationship("Merchant")
    product = relationship("Product")
    actor = relationship("User")
    complaint: Mapped[Complaint | None] = relationship(back_populates="actions")
