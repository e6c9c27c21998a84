from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.models import MarketplaceAccount


class AccountComplianceSettings(models.Model):
    """Rules of the pre-send check an admin switched off for one account (DESIGN.md §14)."""

    account = models.OneToOneField(
        MarketplaceAccount,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="compliance_settings",
        verbose_name=_("marketplace account"),
    )
    # Rule codes from assist.compliance.types.RULES.
    disabled_rules = models.JSONField(pgettext_lazy("compliance", "disabled rules"), default=list, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=pgettext_lazy("compliance", "changed by"),
    )
    changed_at = models.DateTimeField(pgettext_lazy("compliance", "changed at"), auto_now=True)

    class Meta:
        verbose_name = _("compliance settings")
        verbose_name_plural = _("compliance settings")

    def __str__(self) -> str:
        return str(self.account)


class ComplianceSettingsChange(models.Model):
    """Every change of an account's switches, with who made it (the audit trail admins asked for)."""

    account = models.ForeignKey(
        MarketplaceAccount, on_delete=models.CASCADE, related_name="+", verbose_name=_("marketplace account")
    )
    disabled_rules = models.JSONField(pgettext_lazy("compliance", "disabled rules"), default=list)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=pgettext_lazy("compliance", "changed by"),
    )
    changed_at = models.DateTimeField(pgettext_lazy("compliance", "changed at"), auto_now_add=True)

    class Meta:
        verbose_name = _("compliance settings change")
        verbose_name_plural = _("compliance settings changes")
        ordering = ["-changed_at", "-id"]
        indexes = [models.Index(fields=["account", "-changed_at"], name="assist_change_account_idx")]

    def __str__(self) -> str:
        return f"{self.account} @ {self.changed_at:%Y-%m-%d %H:%M}"
