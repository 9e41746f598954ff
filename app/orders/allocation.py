"""Which discount pays for which order of a checkout (自动为你选择最优组合). Pure: the orders'
totals and the discounts offered to each go in, each order's chosen discounts come out.

The problem. A checkout has n orders (one per shop). An order takes at most one discount of each
kind (one shop coupon, one platform coupon: 免单券, 直播购物券 and other platform coupons are all
of the platform kind), and a wallet copy (`reference_id`) pays for one order at most. An order of
total T that takes a shop discount s and a platform discount p saves min(T, s + p): the shop's
first, the platform's on what is left, each already within its own cap (免单券 ≤ ¥666). Choose
the copies that maximise the checkout's saving; among equal savings spend less face value (the
bigger coupons stay in the wallet), then the copies that expire first.

The algorithm. A shop coupon is one shop's (a shop pays only for its own goods), so shop copies
never compete across orders: for an order o and each platform option p (or none) the best shop
option is found alone, w(o, p) = max over s of value(o, s, p). What remains is an assignment of
platform copies to orders with weights w, solved exactly by the Hungarian algorithm (shortest
augmenting paths with potentials) on n rows and m + n columns: the m platform copies and one
"no platform copy" column per order (which also carries the order's unlimited, reference-less
options). The three goals are one integer weight (saving first, then face value, then expiry),
so the assignment's optimum is the lexicographic optimum.

Bound: O(n²·(m + n)) for the assignment plus O(Σ_o |S_o|·|P_o|) for the weights, where S_o and
P_o are the shop and platform options of order o. A checkout of 10 shops with 100 platform copies
in the wallet is about 10⁴ steps (see bench/allocation.py). A shop copy offered to several orders
(the data never does this: a shop coupon names its shop) is kept by the order it saves most."""
from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Protocol

SHOP_COUPON, PLATFORM_COUPON = "shop_coupon", "platform_coupon"
KINDS = (SHOP_COUPON, PLATFORM_COUPON)  # shop coupons first, platform on the rest


class Offer(Protocol):
    """What the allocator reads of a discount (app.orders.pricing.Discount)."""

    kind: str
    amount_fen: int
    reference_id: Hashable | None
    cap_fen: int | None
    face_fen: int | None
    expires_at: datetime | None


def worth(offer: Offer) -> int:
    """What the discount can take off at most (its amount within its own cap)."""
    amount = max(offer.amount_fen, 0)
    return min(amount, offer.cap_fen) if offer.cap_fen is not None else amount


def applied(total_fen: int, shop: Offer | None, platform: Offer | None) -> tuple[int, int]:
    """The amounts a shop + platform pair takes off an order of `total_fen`: shop first, the
    platform discount on what is left."""
    shop_off = min(worth(shop), total_fen) if shop is not None else 0
    platform_off = min(worth(platform), total_fen - shop_off) if platform is not None else 0
    return shop_off, platform_off


def saving(total_fen: int, shop: Offer | None, platform: Offer | None) -> int:
    return sum(applied(total_fen, shop, platform))


@dataclass
class _Scale:
    """Turns (saving, face spent, expiry) into one integer, lexicographically."""

    soon_unit: int
    face_unit: int
    rank: dict[Hashable, int]

    def weight(self, total_fen: int, shop: Offer | None, platform: Offer | None) -> int:
        shop_off, platform_off = applied(total_fen, shop, platform)
        weight = (shop_off + platform_off) * self.face_unit
        for offer in (shop, platform):
            if offer is None or offer.reference_id is None:
                continue
            weight -= _face(offer) * self.soon_unit
            weight += len(self.rank) - self.rank[offer.reference_id]
        return weight


def _face(offer: Offer) -> int:
    return offer.face_fen if offer.face_fen is not None else worth(offer)


def _scale(offers: Sequence[Sequence[Offer]]) -> _Scale:
    refs: dict[Hashable, tuple] = {}
    for order_offers in offers:
        for offer in order_offers:
            if offer.reference_id is not None:
                expires = offer.expires_at.timestamp() if offer.expires_at else float("inf")
                refs.setdefault(offer.reference_id, (expires, repr(offer.reference_id)))
    rank = {ref: i for i, ref in enumerate(sorted(refs, key=refs.__getitem__))}
    soon_unit = 2 * len(rank) + 1             # > any sum of expiry scores (≤ 2 copies an order…
    soon_unit *= max(1, len(offers))          # …in each of the n orders)
    max_face = max((_face(o) for order_offers in offers for o in order_offers), default=0)
    face_unit = soon_unit * (2 * max(1, len(offers)) * max_face + 1)
    return _Scale(soon_unit, face_unit, rank)


def _useful(total_fen: int, offers: Sequence[Offer], kind: str) -> list[Offer]:
    return [o for o in offers if o.kind == kind and worth(o) > 0 and total_fen > 0]


def choose(totals: Sequence[int], offers: Sequence[Sequence[Offer]]) -> list[list[Offer]]:
    """For each order (its total in fen and the discounts offered to it), the discounts it takes,
    as copies whose `amount_fen` is what they take off that order; shop discount first."""
    n = len(totals)
    scale = _scale(offers)
    shops = [_useful(totals[o], offers[o], SHOP_COUPON) for o in range(n)]
    platforms = [_useful(totals[o], offers[o], PLATFORM_COUPON) for o in range(n)]
    _pin_shared_shop_copies(totals, shops)

    def best_with(o: int, platform: Offer | None) -> tuple[int, Offer | None]:
        best: tuple[int, Offer | None] = (scale.weight(totals[o], None, platform), None)
        for shop in shops[o]:
            weight = scale.weight(totals[o], shop, platform)
            if weight > best[0]:
                best = (weight, shop)
        return best

    # Columns: each platform copy offered to some order, then one "no copy" column per order.
    columns: list[Hashable] = []
    for order_platforms in platforms:
        for offer in order_platforms:
            if offer.reference_id is not None and offer.reference_id not in columns:
                columns.append(offer.reference_id)
    m = len(columns)
    column_of = {ref: j for j, ref in enumerate(columns)}
    cells: list[dict[int, tuple[int, Offer | None, Offer | None]]] = []
    for o in range(n):
        row: dict[int, tuple[int, Offer | None, Offer | None]] = {}
        free = [None, *(p for p in platforms[o] if p.reference_id is None)]
        row[m + o] = max(((*best_with(o, p), p) for p in free), key=lambda cell: cell[0])
        for platform in platforms[o]:
            if platform.reference_id is None:
                continue
            j = column_of[platform.reference_id]
            cell = (*best_with(o, platform), platform)
            if j not in row or cell[0] > row[j][0]:
                row[j] = cell
        cells.append(row)
    picked = _assign([{j: cell[0] for j, cell in row.items()} for row in cells], m + n)
    chosen: list[list[Offer]] = []
    for o, j in enumerate(picked):
        _weight, shop, platform = cells[o][j]
        shop_off, platform_off = applied(totals[o], shop, platform)
        taken = []
        for offer, off in ((shop, shop_off), (platform, platform_off)):
            if offer is not None and off > 0:
                taken.append(replace(offer, amount_fen=off))
        chosen.append(taken)
    return chosen


def _pin_shared_shop_copies(totals: Sequence[int], shops: list[list[Offer]]) -> None:
    """A shop copy offered to several orders stays with the order it saves most (first on a
    tie), so shop copies never compete in the assignment."""
    best: dict[Hashable, tuple[int, int]] = {}
    for o, order_shops in enumerate(shops):
        for offer in order_shops:
            if offer.reference_id is None:
                continue
            value = min(worth(offer), totals[o])
            if offer.reference_id not in best or value > best[offer.reference_id][0]:
                best[offer.reference_id] = (value, o)
    for o, order_shops in enumerate(shops):
        order_shops[:] = [s for s in order_shops
                          if s.reference_id is None or best[s.reference_id][1] == o]


def _assign(weights: list[dict[int, int]], columns: int) -> list[int]:
    """Maximum-weight assignment of each row to a distinct column (only the columns in a row's
    dict are allowed; each row has at least one of its own). Hungarian algorithm on costs."""
    n = len(weights)
    if n == 0:
        return []
    top = max((abs(w) for row in weights for w in row.values()), default=0) + 1
    forbidden = (2 * n + 1) * top * 2  # dearer than any assignment made of allowed cells
    cost = [[-row[j] if j in row else forbidden for j in range(columns)] for row in weights]
    inf = float("inf")
    u = [0] * (n + 1)
    v = [0] * (columns + 1)
    owner = [0] * (columns + 1)  # owner[j]: the row (1-based) holding column j
    way = [0] * (columns + 1)
    for i in range(1, n + 1):
        owner[0] = i
        j0 = 0
        low: list[float | int] = [inf] * (columns + 1)
        used = [False] * (columns + 1)
        while True:
            used[j0] = True
            i0 = owner[j0]
            delta: float | int = inf
            j1 = 0
            row = cost[i0 - 1]
            for j in range(1, columns + 1):
                if used[j]:
                    continue
                current = row[j - 1] - u[i0] - v[j]
                if current < low[j]:
                    low[j], way[j] = current, j0
                if low[j] < delta:
                    delta, j1 = low[j], j
            for j in range(columns + 1):
                if used[j]:
                    u[owner[j]] += delta
                    v[j] -= delta
                else:
                    low[j] -= delta
            j0 = j1
            if owner[j0] == 0:
                break
        while j0:
            j1 = way[j0]
            owner[j0] = owner[j1]
            j0 = j1
    result = [0] * n
    for j in range(1, columns + 1):
        if owner[j]:
            result[owner[j] - 1] = j - 1
    return result
