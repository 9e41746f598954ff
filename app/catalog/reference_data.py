"""Keep the reference tables (industries, categories) in step with app.catalog.reference."""
from __future__ import annotations

from sqlalchemy import select

from app.catalog.models import Category, Industry
from app.catalog.reference import CATEGORIES, INDUSTRIES
from app.extensions import db


def ensure_reference_data() -> None:
    industries = {i.slug: i for i in db.session.scalars(select(Industry))}
    for slug, name, name_en, portal_name, portal_name_en, position in INDUSTRIES:
        if slug not in industries:
            industries[slug] = Industry(slug=slug, name=name, portal_name=portal_name,
                                        position=position)
            db.session.add(industries[slug])
        industry = industries[slug]
        industry.name_en = industry.name_en or name_en
        industry.portal_name_en = industry.portal_name_en or portal_name_en
    db.session.flush()
    categories = set(db.session.scalars(select(Category.slug)))
    for position, (slug, name, industry, group) in enumerate(CATEGORIES):
        if slug not in categories:
            db.session.add(Category(slug=slug, name=name, industry_id=industries[industry].id,
                                    venue_group=group, position=position))
    db.session.commit()
