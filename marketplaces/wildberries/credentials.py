"""Wildberries credentials: one API token, a JWT whose claims we read (never verify) in this one place.

Token claims and scope positions: specs/wb-api-information-en-2026-08.json, tag "authorization";
API_REFERENCE.md §1.1.
"""

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.utils.translation import gettext as _

from marketplaces.spec import CredentialSchema


class TokenKind:
    BASE = 1
    TEST = 2
    PERSONAL = 3
    SERVICE = 4


TOKEN_KIND_NAMES = {
    TokenKind.BASE: "base",
    TokenKind.TEST: "test",
    TokenKind.PERSONAL: "personal",
    TokenKind.SERVICE: "service",
}

# Scope bit positions from the "authorization" tag of wb-api-information-en-2026-08.json. The docs number
# positions without saying where position 1 is; we read position N as the value 2**N (bit 0 unused). Real
# all-category tokens carry s=16126 (bits 1–7 and 9–13 set, bit 8 clear), which only fits this reading:
# the documented list skips position 8, and with 2**(N-1) those tokens would lack "Buyers chat".
SCOPE_FEEDBACKS_AND_QUESTIONS = 7
SCOPE_BUYERS_CHAT = 9
SCOPE_READ_ONLY = 30


@dataclass(frozen=True)
class WildberriesToken:
    kind: int
    scope: int
    seller_id: str
    expires_at: datetime | None

    def has(self, position: int) -> bool:
        return bool(self.scope >> position & 1)

    @property
    def is_base(self) -> bool:
        return self.kind == TokenKind.BASE

    @property
    def kind_name(self) -> str:
        return TOKEN_KIND_NAMES.get(self.kind, "unknown")


def jwt_payload(token: str) -> dict[str, Any] | None:
    """Decode a JWT payload without verifying it (we only read non-secret claims such as the token type)."""
    parts = token.strip().split(".")
    if len(parts) != 3:
        return None
    segment = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        payload = json.loads(base64.urlsafe_b64decode(segment))
    except (binascii.Error, ValueError):
        return None
    return payload if isinstance(payload, dict) else None


def decode_token(token: str) -> WildberriesToken | None:
    """The claims we use, or None when the value is not a JWT."""
    payload = jwt_payload(token)
    if payload is None:
        return None
    expires = payload.get("exp")
    return WildberriesToken(
        kind=_int_or(payload.get("acc"), 0),
        scope=_int_or(payload.get("s"), 0),
        seller_id=str(payload.get("sid") or ""),
        expires_at=datetime.fromtimestamp(expires, UTC) if isinstance(expires, int | float) else None,
    )


def _int_or(value: Any, default: int) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def credentials_check(credentials: Mapping[str, str]) -> dict[str, str]:
    if jwt_payload(credentials["token"]) is None:
        return {
            "token": _(
                "This does not look like a Wildberries API token (a JWT of three dot-separated parts)."
            )
        }
    return {}


def credentials_external_id(credentials: Mapping[str, str]) -> str:
    payload = jwt_payload(credentials["token"]) or {}
    return str(payload.get("sid") or payload.get("oid") or "")


CREDENTIAL_SCHEMA = CredentialSchema(
    # A WB token is an ES256 JWT: header, claims (id, s, sid, exp, acc…) and an 86-character signature,
    # several hundred characters in all; anything under 100 cannot be one.
    min_lengths={"token": 100},
    check=credentials_check,
    external_id=credentials_external_id,
)
