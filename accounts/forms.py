"""Admin form for marketplace accounts: credential inputs are write-only."""

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.credentials import CREDENTIAL_FIELDS, OZON, WILDBERRIES, YANDEX_MARKET
from accounts.models import MarketplaceAccount

# Form field name → (marketplace, credential key, is secret)
CREDENTIAL_INPUTS: dict[str, tuple[str, str, bool]] = {
    "wildberries_token": (WILDBERRIES, "token", True),
    "ozon_client_id": (OZON, "client_id", False),
    "ozon_api_key": (OZON, "api_key", True),
    "yandex_market_api_key": (YANDEX_MARKET, "api_key", True),
    "yandex_market_business_id": (YANDEX_MARKET, "business_id", False),
}

KEEP_HELP = _("Leave blank to keep the stored value.")


def secret_input() -> forms.CharField:
    # render_value=False: the stored secret never reaches the HTML, not even partially.
    return forms.CharField(
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
    )


class MarketplaceAccountForm(forms.ModelForm):
    wildberries_token = secret_input()
    ozon_client_id = forms.CharField(required=False, strip=True)
    ozon_api_key = secret_input()
    yandex_market_api_key = secret_input()
    yandex_market_business_id = forms.CharField(required=False, strip=True)
    skip_check = forms.BooleanField(
        required=False,
        label=_("Do not check the credentials with the marketplace"),
        help_text=_("Only for offline set-up; the first sync will report bad credentials."),
    )

    class Meta:
        model = MarketplaceAccount
        fields = ["name", "marketplace", "is_active", "members"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        labels = {
            "wildberries_token": _("Wildberries API token"),
            "ozon_client_id": _("Ozon Client-Id"),
            "ozon_api_key": _("Ozon Api-Key"),
            "yandex_market_api_key": _("Yandex Market Api-Key"),
            "yandex_market_business_id": _("Yandex Market business ID"),
        }
        for name, label in labels.items():
            self.fields[name].label = label
        if self.instance.pk:
            self.fields["marketplace"].disabled = True
            for name in CREDENTIAL_INPUTS:
                self.fields[name].help_text = KEEP_HELP
            stored = self.instance.credentials or {}
            for name, (marketplace, key, secret) in CREDENTIAL_INPUTS.items():
                if not secret and marketplace == self.instance.marketplace:
                    self.fields[name].initial = stored.get(key, "")

    def submitted_credentials(self) -> dict[str, str] | None:
        """Credentials typed into the form merged over the stored ones; None when nothing was typed."""
        marketplace = self.cleaned_data.get("marketplace") or self.instance.marketplace
        typed = {
            key: self.cleaned_data.get(name, "")
            for name, (owner, key, _secret) in CREDENTIAL_INPUTS.items()
            if owner == marketplace and self.cleaned_data.get(name)
        }
        if self.instance.pk:
            stored = dict(self.instance.credentials or {})
            if all(typed.get(key, "") == stored.get(key, "") for key in typed):
                return None
            return {**stored, **typed}
        return typed

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        marketplace = cleaned.get("marketplace") or self.instance.marketplace
        if not self.instance.pk and marketplace:
            missing = [
                name
                for name, (owner, key, _secret) in CREDENTIAL_INPUTS.items()
                if owner == marketplace and not cleaned.get(name) and key in CREDENTIAL_FIELDS[marketplace]
            ]
            for name in missing:
                self.add_error(name, _("Required for this marketplace."))
        return cleaned

    def add_credential_errors(self, error: ValidationError) -> None:
        """Show a ValidationError keyed by credential names on the matching form inputs."""
        marketplace = self.cleaned_data.get("marketplace") or self.instance.marketplace
        by_key = {key: name for name, (owner, key, _s) in CREDENTIAL_INPUTS.items() if owner == marketplace}
        for key, messages in error.message_dict.items():
            self.add_error(by_key.get(key), messages)
