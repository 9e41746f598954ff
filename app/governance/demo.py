"""Demo data: a few source videos with generated poster frames, complaints on 镇平."""
from __future__ import annotations


def seed_governance(scale: int = 1) -> list[str]:
    return []
