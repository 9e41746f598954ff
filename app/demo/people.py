"""The demo's accounts: one published password, the operator, the buyer and 玉匠人."""
from __future__ import annotations

from sqlalchemy import select
from werkzeug.security import generate_password_hash

from app.accounts.models import User
from app.extensions import db

DEMO_PASSWORD = "yuantou-demo"  # noqa: S105 (published demo credentials)
OPERATOR_EMAIL = "operator@demo.yuantou.cn"
BUYER_EMAIL = "buyer@demo.yuantou.cn"
YUJIANGREN_EMAIL = "yujiangren@demo.yuantou.cn"


def password_hash() -> str:
    # One hash for every demo account: hashing is deliberately slow, and they share a password.
    return generate_password_hash(DEMO_PASSWORD)


def ensure_user(email: str, name: str, pw_hash: str, *, operator: bool = False) -> User:
    user = db.session.scalar(select(User).where(User.email == email))
    if user is None:
        user = User(email=email, display_name=name, password_hash=pw_hash, is_operator=operator)
        db.session.add(user)
        db.session.flush()
    return user
