"""`flask seed-demo`: the seed's belts and shop, enough goods, idempotent, scalable."""
from __future__ import annotations

from sqlalchemy import func, select

from app.catalog.models import Belt, Product, ProductPhoto
from app.extensions import db
from app.merchants.models import Certificate, Merchant


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_seed_demo_loads_the_seed_and_is_idempotent(app, ctx):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    belts = {b.slug: b for b in db.session.scalars(select(Belt))}
    assert len(belts) == 12
    assert belts["zhenping-jade"].name == "河南镇平" and belts["zhenping-jade"].province == "河南省"
    assert belts["tongerbao-apparel"].name == "辽宁佟二堡"
    assert belts["ruili-jade"].province == "云南省"
    assert count(Merchant) >= 60 and count(Product) >= 600
    source_types = set(db.session.scalars(select(Merchant.source_type).distinct()))
    assert source_types == {"origin", "industry_belt", "factory_direct", "creator_brand"}
    industries = set(db.session.scalars(select(Product.industry_id).distinct()))
    assert len(industries) == 5
    shop = db.session.scalar(select(Merchant).where(Merchant.name == "玉匠人"))
    assert shop.belt.slug == "zhenping-jade" and shop.certified and shop.hotline.startswith("400")
    goods = db.session.scalars(select(Product).where(Product.merchant_id == shop.id)).all()
    certified_goods = set(db.session.scalars(select(Certificate.product_id)
                                             .where(Certificate.merchant_id == shop.id)))
    assert goods and certified_goods == {p.id for p in goods}
    assert db.session.scalar(select(func.count()).select_from(Product)
                             .where(~Product.photos.any())) == 0
    before = (count(Belt), count(Merchant), count(Product), count(ProductPhoto), count(Certificate))

    second = runner.invoke(args=["seed-demo"])
    assert second.exit_code == 0, second.output
    db.session.expire_all()
    assert (count(Belt), count(Merchant), count(Product), count(ProductPhoto),
            count(Certificate)) == before

    scaled = runner.invoke(args=["seed-demo", "--scale", "900"])
    assert scaled.exit_code == 0, scaled.output
    assert count(Product) == 900


def test_seed_demo_pages_render(app, client, ctx):
    app.test_cli_runner().invoke(args=["seed-demo"])
    shop = db.session.scalar(select(Merchant).where(Merchant.name == "玉匠人"))
    for path in ("/", "/portals/jade", "/portals/apparel", "/belts/zhenping-jade",
                 f"/shops/{shop.id}", "/search?q=手镯", "/search?q=羊毛衫&sort=price"):
        assert client.get(path).status_code == 200, path
    product = shop.products.first()
    page = client.get(f"/products/{product.id}").get_data(as_text=True)
    assert "NGTC-ZP-" in page and "400-686-1106" in page


def test_every_demo_product_that_promises_a_certificate_has_one(app, ctx):
    """A title saying 附证书 is a promise to the buyer: the demo keeps it for every shop."""
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    promised = set(db.session.scalars(select(Product.id).where(Product.title.contains("附证书"))))
    with_certificate = set(db.session.scalars(
        select(Certificate.product_id).where(Certificate.revoked_at.is_(None))))
    assert len(promised) > 20  # the demo does sell such goods, across several shops
    assert len(set(db.session.scalars(select(Product.merchant_id)
                                      .where(Product.id.in_(promised))))) > 5
    assert promised - with_certificate == set()
    for product_id in sorted(promised)[:3]:
        certificate = db.session.scalar(select(Certificate)
                                        .where(Certificate.product_id == product_id))
        product = db.session.get(Product, product_id)
        assert certificate.merchant_id == product.merchant_id


def test_every_demo_product_with_a_part_of_another_domain_is_marked_for_its_page(app, ctx):
    """catalog.extras: goods with a certificate, a source video, a flash sale or a place in a
    live room are marked `has_extras` (their page asks those domains only then); the demo
    writes through the ORM, so the listeners mark them all, and the copies of the shop's state
    on the goods agree with the shops."""
    from app.flash.models import FlashSale
    from app.governance.models import SourceVideoProduct
    from app.live.models import LiveRoomItem

    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    attached: set[int] = set()
    for model in (Certificate, SourceVideoProduct, FlashSale, LiveRoomItem):
        found = set(db.session.scalars(select(model.product_id)))
        assert found, model.__name__  # the demo has some of each
        attached |= found
    marked = set(db.session.scalars(select(Product.id).where(Product.has_extras.is_(True))))
    assert marked == attached
    mismatched = db.session.scalar(
        select(func.count()).select_from(Product).join(Merchant, Merchant.id == Product.merchant_id)
        .where((Product.merchant_name != Merchant.name)
               | (Product.merchant_active != (Merchant.status == "active"))))
    assert mismatched == 0
