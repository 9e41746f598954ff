"""Checkout coupon allocation (自动为你选择最优组合, app/orders/allocation.py): how long choosing the
best combination takes for checkouts of realistic and large sizes, beside the brute force it
replaces as the reference (on the sizes brute force can still do).

    .venv/bin/python bench/allocation.py

n shops in the checkout; each has 3 shop copies of its own; m platform copies (free-order
coupons and live vouchers) are each offered to every order (the worst case: every copy
competes for every order). Prints the median of 7 runs per size."""
from __future__ import annotations

import itertools
import random
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.orders.allocation import PLATFORM_COUPON, SHOP_COUPON, choose, saving  # noqa: E402


@dataclass(frozen=True)
class Copy:
    kind: str
    amount_fen: int
    reference_id: int | None
    cap_fen: int | None = None
    face_fen: int | None = None
    expires_at: None = None


def checkout(n: int, m: int, rng: random.Random):
    totals = [rng.randint(20, 2000) * 100 for _ in range(n)]
    offers = [[Copy(SHOP_COUPON, rng.randint(5, 200) * 100, 10_000 + 10 * o + k)
               for k in range(3)] for o in range(n)]
    for ref in range(m):
        free = ref % 5 == 0
        for o in range(n):
            if free:
                offers[o].append(Copy(PLATFORM_COUPON, totals[o], ref, cap_fen=66_600,
                                      face_fen=66_600))
            else:
                offers[o].append(Copy(PLATFORM_COUPON, rng.randint(1, 100) * 100, ref))
    return totals, offers


def brute_force(totals, offers) -> int:
    per_order = []
    for total, order_offers in zip(totals, offers, strict=True):
        shops = [None, *(o for o in order_offers if o.kind == SHOP_COUPON)]
        platforms = [None, *(o for o in order_offers if o.kind == PLATFORM_COUPON)]
        per_order.append([(s, p, saving(total, s, p)) for s in shops for p in platforms])
    best = 0
    for combo in itertools.product(*per_order):
        refs = [o.reference_id for s, p, _ in combo for o in (s, p) if o is not None]
        if len(refs) == len(set(refs)):
            best = max(best, sum(v for *_, v in combo))
    return best


def timed(fn, runs: int = 7) -> float:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def main() -> None:
    rng = random.Random(14)
    print(f"{'shops n':>8} {'platform copies m':>18} {'allocation':>12} {'brute force':>12}")
    for n, m in ((2, 4), (3, 6), (5, 20), (10, 30), (10, 100), (20, 200), (50, 200)):
        totals, offers = checkout(n, m, rng)
        fast = timed(lambda totals=totals, offers=offers: choose(totals, offers))
        slow = "—"
        if (4 * (m + 1)) ** n <= 200_000:
            slow_s = timed(lambda totals=totals, offers=offers: brute_force(totals, offers), 1)
            chosen = choose(totals, offers)
            assert sum(d.amount_fen for o in chosen for d in o) == brute_force(totals, offers)
            slow = f"{slow_s * 1000:.1f} ms"
        print(f"{n:>8} {m:>18} {fast * 1000:>9.2f} ms {slow:>12}")


if __name__ == "__main__":
    main()
