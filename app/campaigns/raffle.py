"""The verifiable daily raffle's arithmetic (the procedure is documented in verify_raffle.py,
which the public downloads and runs; the app uses the very same functions)."""
from __future__ import annotations

import hashlib
import hmac
import secrets

from app.campaigns.verify_raffle import (  # noqa: F401  (re-exported for the services)
    RULES_VERSION,
    commitment,
    draw_seed,
    entrant_list_bytes,
    list_hash,
    parse_entrant_list,
    verify,
    winners,
)


def new_server_seed() -> str:
    """32 bytes from the OS's CSPRNG, as hex; kept secret until the draw."""
    return secrets.token_hex(32)


def pseudonym(secret_key: str, draw_id: int, user_id: int) -> str:
    """A per-draw pseudonymous id: the user can find their line, nobody can link days."""
    mac = hmac.new(secret_key.encode(), f"raffle:{draw_id}:{user_id}".encode(), hashlib.sha256)
    return mac.hexdigest()[:16]
