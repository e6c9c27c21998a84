"""The Telegram webhook and the profile page with the user's notification settings."""

import hmac
import json

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from marketplaces import errors
from notify.forms import NotificationSettingsForm
from notify.models import TelegramLink
from notify.services.linking import telegram_link_token_create
from notify.services.preferences import (
    EDITABLE_FIELDS,
    notification_settings_get,
    notification_settings_update,
)
from notify.services.updates import telegram_update_process
from notify.telegram import TelegramBot, telegram_configured

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name, not a secret


@csrf_exempt
@require_POST
def telegram_webhook(request: HttpRequest) -> HttpResponse:
    secret = settings.TELEGRAM_WEBHOOK_SECRET
    given = request.headers.get(SECRET_HEADER, "")
    if not secret or not hmac.compare_digest(given.encode(), secret.encode()):
        return HttpResponseForbidden()
    try:
        update = json.loads(request.body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return JsonResponse({"ok": False}, status=400)
    if isinstance(update, dict):
        telegram_update_process(update=update, bot=TelegramBot())
    return JsonResponse({"ok": True})


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    current = notification_settings_get(user=request.user)
    form = NotificationSettingsForm(request.POST or None, instance=current)
    if request.method == "POST" and form.is_valid():
        try:
            notification_settings_update(
                user=request.user, changes={name: form.cleaned_data[name] for name in EDITABLE_FIELDS}
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Notification settings saved."))
            return redirect("notify:profile")
    link = TelegramLink.objects.filter(user=request.user).first()
    return render(
        request,
        "notify/profile.html",
        {"form": form, "telegram_link": link, "telegram_configured": telegram_configured()},
    )


@login_required
@require_POST
def telegram_link_start(request: HttpRequest) -> HttpResponse:
    if not telegram_configured():
        messages.error(request, _("Telegram is not configured on this server."))
        return redirect("notify:profile")
    try:
        invitation = telegram_link_token_create(user=request.user)
    except errors.MarketplaceError:
        messages.error(request, _("Telegram could not be reached. Try again in a minute."))
        return redirect("notify:profile")
    current = notification_settings_get(user=request.user)
    return render(
        request,
        "notify/profile.html",
        {
            "form": NotificationSettingsForm(instance=current),
            "telegram_link": TelegramLink.objects.filter(user=request.user).first(),
            "telegram_configured": True,
            "invitation": invitation,
        },
    )


@login_required
@require_POST
def telegram_unlink_view(request: HttpRequest) -> HttpResponse:
    TelegramLink.objects.filter(user=request.user).delete()
    messages.success(request, _("Telegram is unlinked."))
    return redirect("notify:profile")
