"""The audit log: who did what and when. Append-only for the application."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs: object) -> int:
        raise PermissionError("the audit log is append-only")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise PermissionError("the audit log is append-only")


class AuditEvent(models.Model):
    class Action(models.TextChoices):
        LOGIN = "login", _("logged in")
        LOGIN_FAILED = "login_failed", _("failed login")
        LOGOUT = "logout", _("logged out")
        TWO_FACTOR_ENABLED = "two_factor_enabled", _("turned two-factor authentication on")
        TWO_FACTOR_REMOVED = "two_factor_removed", _("turned two-factor authentication off")
        TWO_FACTOR_FAILED = "two_factor_failed", _("entered a wrong two-factor code")
        API_TOKEN_CREATED = "api_token_created", _("created an API token")
        API_TOKEN_REVOKED = "api_token_revoked", _("revoked an API token")
        CREDENTIALS_ADDED = "credentials_added", _("added cabinet credentials")
        CREDENTIALS_CHANGED = "credentials_changed", _("changed cabinet credentials")
        CREDENTIALS_ROTATED = "credentials_rotated", _("re-encrypted credentials")
        ACCOUNT_CHANGED = "account_changed", _("changed a cabinet")
        MEMBERS_CHANGED = "members_changed", _("changed cabinet members")
        REPLY_SENT = "reply_sent", _("sent a reply")
        COMPLIANCE_OVERRIDDEN = "compliance_overridden", _("sent a reply despite compliance warnings")
        CHAT_ASSIGNED = "chat_assigned", _("assigned a chat")
        TEMPLATE_CHANGED = "template_changed", _("changed a reply template")
        EXPORTED = "exported", _("exported data")
        PERSONAL_DATA_PURGED = "personal_data_purged", _("removed personal data")

    created_at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("who"),
    )
    # The name as it was, so the record stays readable after the user is renamed or deleted.
    actor_name = models.CharField(_("who (name)"), max_length=150, blank=True, default="")
    action = models.CharField(_("action"), max_length=32, choices=Action.choices)
    target_type = models.CharField(_("object type"), max_length=64, blank=True, default="")
    target_id = models.CharField(_("object ID"), max_length=64, blank=True, default="")
    summary = models.CharField(_("object"), max_length=300, blank=True, default="")
    details = models.JSONField(_("details"), default=dict, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["action", "-created_at"], name="audit_action_idx"),
            models.Index(fields=["actor", "-created_at"], name="audit_actor_idx"),
            models.Index(fields=["target_type", "target_id"], name="audit_target_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_name} {self.action}"
