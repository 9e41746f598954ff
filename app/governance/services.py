"""What other domains import from governance (the rules live in the modules named here).

- complaints: filing, the thread (answer once, add once), the base's decision, `upheld_count`
- enforcement: warning, delisting, suspension / reinstatement, revoking certification (`act`)
- videos: 源头实拍 posting, strips (`strip`), the belt feed
- dashboard: the per-belt figures

A shop's suspension itself is `Merchant.suspended_until`; whether a shop or a product can be
seen and bought is `merchants.services.shop_is_open` / `catalog.services.is_listable` /
`listable_products`."""
from __future__ import annotations

from app.governance.complaints import (  # noqa: F401
    ComplaintDraft,
    add,
    answer,
    decide,
    file_complaint,
    get_complaint,
    upheld_count,
)
from app.governance.dashboard import dashboard  # noqa: F401
from app.governance.enforcement import ActionRequest, act  # noqa: F401
from app.governance.videos import VideoDraft, post_video, remove_video, strip  # noqa: F401
