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


class ReplyTemplate(models.Model):
    """A ready answer: personal (owner set) or the team's (owner empty, made by an admin)."""

    class Scope(models.TextChoices):
        ALL = "all", _("All cabinets")
        MARKETPLACE = "marketplace", _("One marketplace")
        ACCOUNT = "account", _("One cabinet")

    title = models.CharField(_("title"), max_length=200)
    shortcut = models.SlugField(_("shortcut"), max_length=50, blank=True, default="", allow_unicode=True)
    text = models.TextField(_("text"))
    folder = models.CharField(_("folder"), max_length=100, blank=True, default="")
    scope = models.CharField(_("scope"), max_length=16, choices=Scope.choices, default=Scope.ALL)
    marketplace = models.CharField(_("marketplace"), max_length=32, blank=True, default="")
    account = models.ForeignKey(
        MarketplaceAccount,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("marketplace account"),
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="reply_templates",
        verbose_name=_("owner (empty: the whole team)"),
    )
    file = models.FileField(_("file"), upload_to="templates/%Y/%m/", blank=True, default="")
    file_name = models.CharField(max_length=255, blank=True, default="")
    file_content_type = models.CharField(max_length=100, blank=True, default="")
    usage_count = models.PositiveIntegerField(_("used"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("reply template")
        verbose_name_plural = _("reply templates")
        ordering = ["folder", "title"]
        indexes = [models.Index(fields=["owner", "scope"], name="template_owner_scope_idx")]

    def __str__(self) -> str:
        return self.title


class LlmUsage(models.Model):
    """Tokens an account's drafts used per day, as the LLM reported them (shown in admin)."""

    account = models.ForeignKey(
        MarketplaceAccount, on_delete=models.CASCADE, related_name="+", verbose_name=_("marketplace account")
    )
    day = models.DateField(_("day"))
    requests = models.PositiveIntegerField(_("requests"), default=0)
    prompt_tokens = models.PositiveIntegerField(_("prompt tokens"), default=0)
    completion_tokens = models.PositiveIntegerField(_("completion tokens"), default=0)

    class Meta:
        verbose_name = _("LLM usage")
        verbose_name_plural = _("LLM usage")
        constraints = [models.UniqueConstraint(fields=["account", "day"], name="llm_usage_account_day_uniq")]

    def __str__(self) -> str:
        return f"{self.account_id} {self.day}"
