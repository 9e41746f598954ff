"""The 116 campaign (116卖货王): phases, the venue, invited registration, warm-up tasks, the
daily verifiable raffle and coupons (see docs/CAMPAIGNS.md)."""
from __future__ import annotations

from datetime import timedelta

from flask import Flask

SLOT_PARTIALS = (
    ("head", "campaigns/_head.html"),
    ("home_top", "campaigns/_home_banner.html"),
    ("live_room_top", "campaigns/_room_coupons.html"),
    ("live_room_top", "campaigns/_room_tasks.html"),
    ("account_menu", "campaigns/_account_menu.html"),
)


def init_campaigns(app: Flask) -> None:
    from sqlalchemy import select

    from app import clock, tick
    from app.accounts.services import register_audit_action, register_audit_subject
    from app.campaigns import campaigns, coupons, draws, routes, stacking, tasks
    from app.campaigns.models import Campaign, Registration
    from app.i18n import N_
    from app.merchants.models import Merchant
    from app.orders.pricing import register_discount_rule
    from app.pagedata import register_page_data
    from app.slots import register_slot

    app.register_blueprint(routes.bp)
    for slot, template in SLOT_PARTIALS:
        register_slot(app, slot, template)
    register_discount_rule(stacking.coupon_discounts)

    def campaign_banner():
        now = clock.now()
        campaign = campaigns.current_campaign(now)
        if campaign is None:
            return None
        return {"campaign": campaign, "phase": campaigns.phase_of(campaign, now),
                "deadline": campaigns.next_deadline(campaign, now), "now": now}

    def room_coupons(room, viewer):
        """The room's grabbable coupons, with how many of each the viewer holds."""
        found = coupons.grabbable_in_room(room, clock.now())
        return {"coupons": found,
                "held": coupons.held_counts(viewer, [c.id for c in found]) if found else {}}

    register_page_data(app, "home", "campaign_banner", lambda **_: campaign_banner())
    register_page_data(app, "live_room", "room_coupons", room_coupons)
    register_page_data(app, "live_room", "room_campaign", tasks.room_campaign)
    app.jinja_env.globals.update(
        campaign_banner=campaign_banner, phase_label=campaigns.phase_name,
        one_second=timedelta(seconds=1))
    for action, label, sentence in (
            ("campaign.create", N_("创建活动"), N_("%(actor)s 创建了活动 %(subject)s")),
            ("campaign.update", N_("修改活动"), N_("%(actor)s 修改了活动 %(subject)s")),
            ("campaign.invite", N_("邀约店铺参加活动"), N_("%(actor)s 邀约 %(subject)s 参加活动")),
            ("campaign.approve", N_("通过活动报名"), N_("%(actor)s 通过了 %(subject)s 的活动报名")),
            ("campaign.reject", N_("驳回活动报名"), N_("%(actor)s 驳回了 %(subject)s 的活动报名"))):
        register_audit_action(action, label, sentence)
    register_audit_subject("campaign", lambda ids: select(Campaign.id, Campaign.name, Campaign.slug)
                           .where(Campaign.id.in_(ids)), url="/campaigns/{}")
    # A registration is named by its shop.
    register_audit_subject("campaign_registration", lambda ids: select(
        Registration.id, Merchant.name, Merchant.id).join(Merchant, Merchant.id == Registration.merchant_id)
        .where(Registration.id.in_(ids)), url="/shops/{}")
    if "campaigns.draw_raffles" not in dict(tick.JOBS):
        tick.job("campaigns.draw_raffles")(draws.draw_due_raffles)

