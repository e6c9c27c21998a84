"""DRF authentication: the session (only once its second factor is done) and our hashed API tokens
("Authorization: Bearer cc_…" or "Token cc_…").

Keys without the "cc_" prefix fall through to DRF's own TokenAuthentication (`drf_create_token`).
"""

from typing import Any

from django.utils.translation import gettext as _
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from access.middleware import ENROL, two_factor_step_owed
from access.services import TOKEN_PREFIX, api_token_authenticate


class VerifiedSessionAuthentication(authentication.SessionAuthentication):
    """The session cookie, refused while its user still owes the TOTP code (or, for an administrator who
    must have one, the enrolment): the password alone must not open the API that the pages keep shut.

    It refuses rather than passing the request on, so an Authorization header beside the cookie cannot
    lead DRF to take the session anyway; token clients send no session and are not concerned.
    """

    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        authenticated = super().authenticate(request)
        step = two_factor_step_owed(request=request._request) if authenticated else None
        if step == ENROL:
            raise exceptions.AuthenticationFailed(
                _("Set up two-factor authentication first: administrators on this server must use it.")
            )
        if step is not None:
            raise exceptions.AuthenticationFailed(
                _("Enter the code from your authenticator app first: the sign-in is not finished yet.")
            )
        return authenticated


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
