"""Imports every domain's models so the mapper registry and Alembic see all tables."""
from app.accounts import models as accounts_models  # noqa: F401
from app.campaigns import models as campaigns_models  # noqa: F401
from app.catalog import models as catalog_models  # noqa: F401
from app.catalog import sync as catalog_sync  # noqa: F401,E402  (derived-column listeners)
from app.flash import models as flash_models  # noqa: F401
from app.governance import models as governance_models  # noqa: F401,E402
from app.live import comment_models as live_comment_models  # noqa: F401
from app.live import models as live_models  # noqa: F401
from app.merchants import models as merchants_models  # noqa: F401
from app.merchants import sync as merchants_sync  # noqa: F401  (the goods' copies of shop state)
from app.orders import models as orders_models  # noqa: F401
from app.sale import models as sale_models  # noqa: F401
