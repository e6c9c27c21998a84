"""Wildberries API tokens: JWT-shaped strings whose payload says the token type and scopes.

Payload fields per the WB "Authorization" docs (specs/wb-api-information-en-2026-08.json, tag
`authorization`): `acc` token type (1 Base, 2 Test, 3 Personal, 4 Service), `s` scope bitmask, `sid`
seller id, `id` token id, `exp`, `for`, `t`.
"""

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any

TOKEN_TYPE_BASE = 1
TOKEN_TYPE_TEST = 2
TOKEN_TYPE_PERSONAL = 3
TOKEN_TYPE_SERVICE = 4

SCOPE_FEEDBACKS_AND_QUESTIONS = 7
SCOPE_BUYERS_CHAT = 9
SCOPE_READ_ONLY = 30


def scope_mask(*positions: int) -> int:
    # The docs number bit positions without saying whether 1 is the least-significant bit. We read
    # position N as 1 << N (so "30 read-only" is 1 << 30, as in real tokens) but generated tokens also
    # carry 1 << (N - 1), so a client reading the table the other way still sees the scopes it expects.
    mask = 0
    for position in positions:
        mask |= (1 << position) | (1 << (position - 1))
    return mask


def has_scope(mask: int, position: int) -> bool:
    return bool(mask & (1 << position))


def _encode_part(value: dict[str, Any]) -> str:
    raw = json.dumps(value, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _decode_part(value: str) -> dict[str, Any]:
    padded = value + "=" * (-len(value) % 4)
    decoded = json.loads(base64.urlsafe_b64decode(padded.encode()))
    if not isinstance(decoded, dict):
        raise ValueError("not an object")
    return decoded


def token_create(
    *, token_id: str, seller_id: str, token_type: int, scopes: int, expires_at: int, signature: bytes
) -> str:
    header = {"alg": "ES256", "kid": "sandbox", "typ": "JWT"}
    payload: dict[str, Any] = {
        "acc": token_type,
        "ent": 1,
        "exp": expires_at,
        "id": token_id,
        "s": scopes,
        "sid": seller_id,
        "t": token_type == TOKEN_TYPE_TEST,
    }
    if token_type == TOKEN_TYPE_PERSONAL:
        payload["for"] = "self"
    signature_text = base64.urlsafe_b64encode(signature).rstrip(b"=").decode()
    return f"{_encode_part(header)}.{_encode_part(payload)}.{signature_text}"


@dataclass(frozen=True, slots=True)
class TokenClaims:
    token_type: int
    scopes: int
    seller_id: str
    expires_at: int


class MalformedTokenError(ValueError):
    pass


def token_decode(token: str) -> TokenClaims:
    parts = token.split(".")
    if len(parts) != 3:
        raise MalformedTokenError("token contains an invalid number of segments")
    try:
        payload = _decode_part(parts[1])
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise MalformedTokenError("could not JSON decode claim") from None
    try:
        return TokenClaims(
            token_type=int(payload["acc"]),
            scopes=int(payload["s"]),
            seller_id=str(payload["sid"]),
            expires_at=int(payload.get("exp", 0)),
        )
    except (KeyError, TypeError, ValueError):
        raise MalformedTokenError("token has no required claims") from None
