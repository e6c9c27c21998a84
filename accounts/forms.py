"""Admin form for marketplace accounts: only the chosen marketplace's credential inputs, all write-only."""

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.models import MarketplaceAccount
from marketplaces.registry import MARKETPLACE_SPECS, spec_for

# Labels of credential keys; a key not listed here is treated as a secret.
CREDENTIAL_LABELS: dict[str, Any] = {
    "token": _("API token"),
    "client_id": _("Client-Id"),
    "api_key": _("Api-Key"),
    "business_id": _("Business ID (businessId)"),
}
NOT_SECRET_KEYS = frozenset({"client_id", "business_id"})

KEEP_HELP = _("Leave blank to keep the stored value.")


def credential_input_name(*, marketplace: str, key: str) -> str:
    return f"{marketplace}_{key}"


def credential_inputs(*, marketplace: str) -> dict[str, str]:
    """Form field name → credential key, for one marketplace (empty for an unknown one)."""
    if marketplace not in MARKETPLACE_SPECS:
        return {}
    return {
        credential_input_name(marketplace=marketplace, key=key): key
        for key in spec_for(marketplace).credential_fields
    }


def credential_field(*, key: str) -> forms.CharField:
    label = CREDENTIAL_LABELS.get(key, key)
    if key in NOT_SECRET_KEYS:
        return forms.CharField(label=label, required=False, strip=True)
    # render_value=False: the stored secret never reaches the HTML, not even partially.
    return forms.CharField(
        label=label,
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
    )


class MarketplaceAccountForm(forms.ModelForm):
    """`marketplace` is chosen before the form is built (step one of the add page, or the stored account)."""

    # Set by `account_form_for`; "" while no marketplace is chosen.
    chosen_marketplace = ""

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
        marketplace = self.marketplace
        inputs = {
            name: key
            for name, key in credential_inputs(marketplace=marketplace).items()
            if name in self.fields
        }
        if marketplace and "marketplace" in self.fields:
            # Chosen in step one (or stored): a disabled field ignores whatever a POST says.
            self.fields["marketplace"].initial = marketplace
            self.fields["marketplace"].disabled = True
        if self.instance.pk:
            stored = self.instance.credentials or {}
            for name, key in inputs.items():
                self.fields[name].help_text = KEEP_HELP
                if key in NOT_SECRET_KEYS:
                    self.fields[name].initial = stored.get(key, "")
        else:
            for name in inputs:
                self.fields[name].required = True

    @property
    def marketplace(self) -> str:
        return self.instance.marketplace if self.instance.pk else self.chosen_marketplace

    def submitted_credentials(self) -> dict[str, str] | None:
        """Credentials typed into the form merged over the stored ones; None when nothing was typed."""
        typed = {
            key: self.cleaned_data[name]
            for name, key in credential_inputs(marketplace=self.marketplace).items()
            if self.cleaned_data.get(name)
        }
        if self.instance.pk:
            stored = dict(self.instance.credentials or {})
            if all(typed.get(key, "") == stored.get(key, "") for key in typed):
                return None
            return {**stored, **typed}
        return typed

    def add_credential_errors(self, error: ValidationError) -> None:
        """Show a ValidationError keyed by credential names on the matching form inputs."""
        by_key = {key: name for name, key in credential_inputs(marketplace=self.marketplace).items()}
        for key, messages in error.message_dict.items():
            self.add_error(by_key.get(key), messages)


def account_form_for(*, marketplace: str) -> type[MarketplaceAccountForm]:
    """The account form with the credential inputs of `marketplace` ("" = not chosen yet)."""
    chosen = marketplace if marketplace in MARKETPLACE_SPECS else ""
    # Declared fields (class attributes), so that the admin's modelform_factory accepts their names.
    inputs = {name: credential_field(key=key) for name, key in credential_inputs(marketplace=chosen).items()}
    return type("MarketplaceAccountForm", (MarketplaceAccountForm,), {"chosen_marketplace": chosen, **inputs})
