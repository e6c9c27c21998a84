"""DRF authentication for our hashed API tokens ("Authorization: Bearer cc_…" or "Token cc_…").

Keys without the "cc_" prefix fall through to DRF's own TokenAuthentication (`drf_create_token`).
"""

from typing import Any

from django.utils.translation import gettext as _
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from access.services import TOKEN_PREFIX, api_token_authenticate


class ApiTokenAuthentication(authentication.BaseAuthentication):
    keywords = ("bearer", "token")

    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        parts = authentication.get_authorization_header(request).split()
        if len(parts) != 2 or parts[0].decode(errors="replace").lower() not in self.keywords:
            return None
        secret = parts[1].decode(errors="replace")
        if not secret.startswith(TOKEN_PREFIX):
            return None
        token = api_token_authenticate(secret=secret)
        if token is None:
            raise exceptions.AuthenticationFailed(
                _("The API token is unknown, revoked, or its user is inactive.")
            )
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        return "Bearer"
