"""Two-factor enrolment and verification (TOTP via django-otp) and the user's API tokens."""

import base64
from io import BytesIO

import segno
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from access.middleware import two_factor_step_remember
from access.models import ApiToken
from access.services import api_token_create, api_token_revoke
from audit.services import audit_record


class CodeForm(forms.Form):
    code = forms.RegexField(
        label=gettext_lazy("Code from the app"),
        regex=r"^\s*\d{6}\s*$",
        error_messages={"invalid": gettext_lazy("Enter the 6 digits the app shows.")},
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "autofocus": True}
        ),
    )


class TokenForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=100)


def _qr_data_uri(url: str) -> str:
    buffer = BytesIO()
    segno.make(url, error="m").save(buffer, kind="svg", scale=4, border=2)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()


@login_required
@require_http_methods(["GET", "POST"])
def two_factor(request: HttpRequest) -> HttpResponse:
    confirmed = TOTPDevice.objects.filter(user=request.user, confirmed=True).first()
    form = CodeForm(request.POST or None)
    if confirmed is not None:
        if request.method == "POST" and form.is_valid():
            if confirmed.verify_token(form.cleaned_data["code"].strip()):
                TOTPDevice.objects.filter(user=request.user).delete()
                two_factor_step_remember(request=request, user=request.user)
                audit_record(actor=request.user, action="two_factor_removed", request=request)
                messages.success(request, _("Two-factor authentication is off."))
                return redirect("access:two-factor")
            form.add_error("code", _("The code is wrong or has expired."))
        return render(request, "access/two_factor.html", {"device": confirmed, "form": form})
    device, _created = TOTPDevice.objects.get_or_create(
        user=request.user, confirmed=False, defaults={"name": "authenticator"}
    )
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["code"].strip()):
            TOTPDevice.objects.filter(pk=device.pk).update(confirmed=True)
            device.confirmed = True
            otp_login(request, device)
            two_factor_step_remember(request=request, user=request.user)
            audit_record(actor=request.user, action="two_factor_enabled", request=request)
            messages.success(request, _("Two-factor authentication is on."))
            return redirect("access:two-factor")
        form.add_error("code", _("The code is wrong or has expired."))
    return render(
        request,
        "access/two_factor.html",
        {
            "form": form,
            "qr": _qr_data_uri(device.config_url),
            "secret": base64.b32encode(device.bin_key).decode(),
            "required": settings.REQUIRE_2FA_FOR_ADMINS and request.user.is_superuser,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def two_factor_verify(request: HttpRequest) -> HttpResponse:
    target = request.GET.get("next") or request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "/"
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        code = form.cleaned_data["code"].strip()
        for device in TOTPDevice.objects.filter(user=request.user, confirmed=True):
            if device.verify_token(code):
                otp_login(request, device)
                return redirect(target)
        audit_record(actor=request.user, action="two_factor_failed", request=request)
        form.add_error("code", _("The code is wrong or has expired."))
    return render(request, "access/two_factor_verify.html", {"form": form, "next": target})


@login_required
@require_http_methods(["GET", "POST"])
def api_tokens(request: HttpRequest) -> HttpResponse:
    form = TokenForm(request.POST or None)
    issued = None
    if request.method == "POST" and form.is_valid():
        issued = api_token_create(user=request.user, name=form.cleaned_data["name"])
        audit_record(
            actor=request.user,
            action="api_token_created",
            target=issued.token,
            request=request,
            details={"name": issued.token.name, "prefix": issued.token.prefix},
        )
        form = TokenForm()
    tokens = ApiToken.objects.filter(user=request.user).order_by("revoked_at", "-created_at")
    return render(request, "access/api_tokens.html", {"form": form, "issued": issued, "tokens": tokens})


@login_required
@require_POST
def api_token_revoke_view(request: HttpRequest, token_id: int) -> HttpResponse:
    if api_token_revoke(user=request.user, token_id=token_id):
        audit_record(
            actor=request.user,
            action="api_token_revoked",
            request=request,
            target_type="access.apitoken",
            target_id=str(token_id),
        )
        messages.success(request, _("The token is revoked: it stops working at once."))
    return redirect("access:api-tokens")
