"""English that reads: on the demo shop, every page each role reaches reads as English (data
apart), and industries and belts are called by their English names."""
from __future__ import annotations

import re
from collections import Counter
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from app.accounts.models import User
from app.catalog.models import Belt, Industry
from app.extensions import db
from app.merchants.models import Merchant
from tests import factories as make
from tests.english import StoredText, english_problems, page_texts

DEMO_PASSWORD = "yuantou-demo"  # noqa: S105 (the published demo accounts)
ROLES = {
    "visitor": None,
    "buyer": "buyer@demo.yuantou.cn",
    "merchant": "yujiangren@demo.yuantou.cn",
    "belt admin": "admin-zhenping-jade@demo.yuantou.cn",
    "operator": "operator@demo.yuantou.cn",
}
START = ["/", "/search?q=%E8%8C%B6", "/search?q=jade+bangle", "/live", "/account", "/orders",
         "/cart", "/coupons", "/notifications", "/my-shop", "/sell/orders", "/sell/statement",
         "/sell/flash", "/sell/coupons", "/sell/campaigns", "/sell/quick", "/admin/audit",
         "/admin/campaigns", "/admin/commission", "/admin/certifications", "/admin/complaints"]
LINK = re.compile(r'href="(/[^"#]*)"')
NOT_PAGES = re.compile(r"^/(static|media|signout|lang)\b|\.(txt|csv|png|py)$|/qr")
PAGES_PER_ROLE = 70


def english_client(make_client, account: str | None):
    client = make_client()
    client.set_cookie("lang", "en")
    if account:
        response = client.post("/signin", data={"account": account, "password": DEMO_PASSWORD})
        assert response.status_code == 303, account
    return client


@pytest.fixture
def demo(app, ctx):
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    db.session.commit()


def test_every_page_each_role_reaches_reads_as_english(demo, make_client):
    stored = StoredText(db)
    problems: dict[str, str] = {}
    for role, account in ROLES.items():
        client = english_client(make_client, account)
        queue, seen, per_kind = list(START), set(), Counter()
        while queue and len(seen) < PAGES_PER_ROLE:
            url = queue.pop(0)
            kind = re.sub(r"\d+", "N", urlsplit(url).path)
            if url in seen or per_kind[kind] >= 1:
                continue
            seen.add(url)
            per_kind[kind] += 1
            response = client.get(url)
            assert response.status_code < 500, url
            if response.status_code != 200 or response.mimetype != "text/html":
                continue
            html = response.get_data(as_text=True)
            typed = tuple(parse_qs(urlsplit(url).query).get("q", []))
            for problem in english_problems(page_texts(html), stored, also_data=typed):
                problems.setdefault(problem, f"{role} {url}")
            queue += [link.replace("&amp;", "&") for link in LINK.findall(html)
                      if not NOT_PAGES.search(link)]
        assert len(seen) >= 15, (role, sorted(seen))
    assert not problems, "\n".join(f"{where}: {problem}" for problem, where in problems.items())


def test_belts_and_industries_are_called_by_their_english_names(demo, make_client):
    english = english_client(make_client, None)
    belt = english.get("/belts/zhenping-jade").get_data(as_text=True)
    assert '<span aria-current="page">Zhenping, Henan (jade)</span>' in belt
    assert '<h1 id="belt-title">Zhenping, Henan (jade)</h1>' in belt
    assert "<title>Zhenping, Henan (jade) · Jade industry belt" in belt
    assert ">Jianbao</a>" in belt  # the portal in the breadcrumb
    assert "河南镇平" not in " ".join(page_texts(belt))

    shop = db.session.scalar(select(Merchant).where(Merchant.name == "玉匠人"))
    product = shop.products.first()
    page = english.get(f"/products/{product.id}").get_data(as_text=True)
    assert ">Zhenping, Henan (jade)</a> ›" in page  # breadcrumb
    assert "Origin: <a" in page and "Category: " in page
    assert "Zhenping, Henan (jade) · " in english.get(f"/shops/{shop.id}").get_data(as_text=True)

    home = english.get("/").get_data(as_text=True)
    assert "<span>Ruili, Yunnan</span><small>Jade</small>" in home

    chinese = make_client().get("/belts/zhenping-jade").get_data(as_text=True)
    assert '<h1 id="belt-title">河南镇平</h1>' in chinese and "玉石产业带 · 河南省南阳市" in chinese


def test_sales_king_titles_name_the_industry_in_english(demo, make_client):
    from app.sale.models import SalesKing

    king = db.session.scalar(select(SalesKing).where(SalesKing.board == "industry"))
    assert king is not None, "the demo crowns industry kings"
    industry = db.session.scalar(select(Industry).where(Industry.slug == king.scope))
    page = english_client(make_client, None).get(
        f"/campaigns/{king.campaign.slug}/leaderboards/industry").get_data(as_text=True)
    assert re.search(rf"Sales King( · [^<·]+)? · By industry · {industry.name_en}</span>", page)
    assert f"· {industry.name}<" not in page


def test_a_belt_added_without_an_english_name_still_reads(client, ctx):
    added = Belt(slug="dehua-jade", name="福建德化", name_en="", province="福建省",
                 city="泉州市", industry_id=make.industry("jade").id, base_name="德化基地")
    db.session.add(added)
    db.session.commit()
    client.set_cookie("lang", "en")
    page = client.get("/belts/dehua-jade").get_data(as_text=True)
    assert '<h1 id="belt-title">福建德化 (jade)</h1>' in page


def test_a_notification_is_read_in_the_readers_language(client, ctx):
    operator = make.user("运营", operator=True)
    admin = make.user("管理员")
    from app.merchants.bases import assign_belt_admin

    assign_belt_admin(operator, admin.email, make.belt("zhenping-jade").id)
    make.sign_in(client, db.session.get(User, admin.id))
    assert "你已被任命为 河南镇平 基地管理员。" in client.get("/notifications").get_data(as_text=True)
    client.set_cookie("lang", "en")
    page = client.get("/notifications").get_data(as_text=True)
    assert "You have been appointed admin of the Zhenping, Henan (jade) base." in page
