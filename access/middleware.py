"""Session lifetime and idle timeout, and the two-factor step for users who have (or must have) a device."""

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

SESSION_STARTED = "access_started_at"
SESSION_SEEN = "access_seen_at"
# Write the "last seen" stamp at most this often, so not every poll saves the session.
SEEN_RESOLUTION_SECONDS = 60


class SessionTimeoutMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = time.time()
            started = request.session.get(SESSION_STARTED)
            seen = request.session.get(SESSION_SEEN)
            lifetime = settings.SESSION_ABSOLUTE_LIFETIME_SECONDS
            idle = settings.SESSION_IDLE_TIMEOUT_SECONDS
            if (started and lifetime and now - started > lifetime) or (seen and idle and now - seen > idle):
                logout(request)
                return redirect(f"{reverse('login')}?next={request.path}")
            if started is None:
                request.session[SESSION_STARTED] = now
            if seen is None or now - seen >= SEEN_RESOLUTION_SECONDS:
                request.session[SESSION_SEEN] = now
        return self.get_response(request)


def _exempt(path: str) -> bool:
    prefixes = (
        reverse("access:two-factor"),
        reverse("access:two-factor-verify"),
        reverse("logout"),
        reverse("login"),
        settings.STATIC_URL if settings.STATIC_URL.startswith("/") else f"/{settings.STATIC_URL}",
        "/hooks/",
        "/api/",
        "/i18n/",
    )
    return path.startswith(prefixes)


TWO_FACTOR_STEP = "access_two_factor"
VERIFY = "verify"
ENROL = "enrol"


def two_factor_step_remember(*, request: HttpRequest, user: object) -> None:
    """At login: does this session still owe a TOTP code, or (for superusers, when required) an enrolment?

    Deciding once per login keeps the per-request cost at a session read, not a device query.
    """
    from django_otp import user_has_device

    if user_has_device(user, confirmed=True):
        request.session[TWO_FACTOR_STEP] = VERIFY
    elif getattr(user, "is_superuser", False):
        request.session[TWO_FACTOR_STEP] = ENROL
    else:
        request.session.pop(TWO_FACTOR_STEP, None)


def two_factor_step_owed(*, request: HttpRequest) -> str | None:
    """VERIFY or ENROL while the session's signed-in user has not finished the second factor, else None."""
    user = getattr(request, "user", None)
    step = request.session.get(TWO_FACTOR_STEP) if hasattr(request, "session") else None
    if not step or user is None or not user.is_authenticated or user.is_verified():
        return None
    if step == VERIFY or (step == ENROL and settings.REQUIRE_2FA_FOR_ADMINS):
        return step
    return None


class TwoFactorMiddleware:
    """A user with a TOTP device must enter a code after the password; superusers must have one when
    REQUIRE_2FA_FOR_ADMINS is on. Runs after django_otp's OTPMiddleware (which sets `is_verified`)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # The API answers for itself (access.authentication): a redirect to a page means nothing to a client.
        step = None if _exempt(request.path) else two_factor_step_owed(request=request)
        if step == VERIFY:
            return redirect(f"{reverse('access:two-factor-verify')}?next={request.path}")
        if step == ENROL:
            return redirect(reverse("access:two-factor"))
        return self.get_response(request)
