"""How the OpenAPI description names our API tokens and the session (drf-spectacular finds these classes
by import)."""

from typing import Any

from drf_spectacular.authentication import SessionScheme
from drf_spectacular.extensions import OpenApiAuthenticationExtension


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "access.authentication.ApiTokenAuthentication"
    name = "apiToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An API token from /account/api-tokens/ (cc_…): `Authorization: Bearer <token>`.",
        }


class VerifiedSessionScheme(SessionScheme):
    target_class = "access.authentication.VerifiedSessionAuthentication"
