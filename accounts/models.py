import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.credentials import OZON, WILDBERRIES, YANDEX_MARKET
from accounts.fields import EncryptedJSONField


def new_webhook_secret() -> str:
    return secrets.token_urlsafe(32)


class Marketplace(models.TextChoices):
    WILDBERRIES = WILDBERRIES, _("Wildberries")
    OZON = OZON, _("Ozon")
    YANDEX_MARKET = YANDEX_MARKET, _("Yandex Market")


class MarketplaceAccount(models.Model):
    """One connected seller cabinet on one marketplace."""

    name = models.CharField(_("name"), max_length=200)
    marketplace = models.CharField(_("marketplace"), max_length=32, choices=Marketplace.choices)
    credentials = EncryptedJSONField(_("credentials"))
    external_id = models.CharField(_("cabinet ID"), max_length=100, blank=True, default="")
    is_active = models.BooleanField(_("active"), default=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="marketplace_accounts", blank=True, verbose_name=_("members")
    )
    webhook_secret = models.CharField(max_length=64, unique=True, default=new_webhook_secret, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("marketplace account")
        verbose_name_plural = _("marketplace accounts")
        ordering = ["marketplace", "name"]
        indexes = [models.Index(fields=["marketplace", "external_id"], name="account_marketplace_ext_idx")]

    def __str__(self) -> str:
        return f"{self.get_marketplace_display()}: {self.name}"


class SyncState(models.Model):
    """Where the sync of one account stands; also its health as shown to admins and agents."""

    account = models.OneToOneField(
        MarketplaceAccount, on_delete=models.CASCADE, primary_key=True, related_name="sync_state"
    )
    cursor = models.JSONField(default=dict, blank=True)
    backfill_cursor = models.JSONField(default=dict, blank=True)
    backfill_finished_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(_("last attempt"), null=True, blank=True)
    last_success_at = models.DateTimeField(_("last success"), null=True, blank=True)
    consecutive_failures = models.PositiveIntegerField(_("consecutive failures"), default=0)
    last_error = models.TextField(_("last error"), blank=True, default="")
    next_sync_at = models.DateTimeField(_("next sync"), null=True, blank=True)
    lease_owner = models.CharField(max_length=100, blank=True, default="")
    lease_until = models.DateTimeField(null=True, blank=True)
    rate_limited_until = models.DateTimeField(_("rate limited until"), null=True, blank=True)
    capability_notes = models.TextField(_("capability notes"), blank=True, default="")

    class Meta:
        verbose_name = _("sync state")
        verbose_name_plural = _("sync states")
        indexes = [models.Index(fields=["next_sync_at"], name="syncstate_next_sync_idx")]

    def __str__(self) -> str:
        return gettext("sync of account %(id)s") % {"id": self.account_id}


class SyncRun(models.Model):
    """One sync or backfill pass, for the sync-health view."""

    class Kind(models.TextChoices):
        SYNC = "sync", _("sync")
        BACKFILL = "backfill", _("backfill")

    class Outcome(models.TextChoices):
        RUNNING = "running", _("running")
        SUCCESS = "success", _("success")
        FAILED = "failed", _("failed")
        RATE_LIMITED = "rate_limited", _("rate limited")

    account = models.ForeignKey(MarketplaceAccount, on_delete=models.CASCADE, related_name="sync_runs")
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.SYNC)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, default=Outcome.RUNNING)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    pages = models.PositiveIntegerField(default=0)
    requests = models.PositiveIntegerField(default=0)
    chats_upserted = models.PositiveIntegerField(default=0)
    messages_created = models.PositiveIntegerField(default=0)
    items_skipped = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True, default="")

    class Meta:
        verbose_name = _("sync run")
        verbose_name_plural = _("sync runs")
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["account", "-started_at"], name="syncrun_account_started_idx")]

    def __str__(self) -> str:
        return gettext("%(kind)s of account %(id)s at %(started)s") % {
            "kind": self.get_kind_display(),
            "id": self.account_id,
            "started": f"{self.started_at:%Y-%m-%d %H:%M}",
        }
