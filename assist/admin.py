from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from assist import services
from assist.compliance.types import RULE_LABELS, RULES, SEVERITIES
from assist.models import AccountComplianceSettings, ComplianceSettingsChange, LlmUsage, ReplyTemplate


class AccountComplianceSettingsForm(forms.ModelForm):
    disabled_rules = forms.MultipleChoiceField(
        label=_("Rules switched off"),
        choices=[(rule, f"{RULE_LABELS[rule]} ({rule}, {SEVERITIES[rule]})") for rule in RULES],
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("Replies of this account's chats are not checked against the ticked rules."),
    )

    class Meta:
        model = AccountComplianceSettings
        fields = ["account", "disabled_rules"]


@admin.register(AccountComplianceSettings)
class AccountComplianceSettingsAdmin(admin.ModelAdmin):
    form = AccountComplianceSettingsForm
    list_display = ["account", "disabled_rules", "changed_by", "changed_at"]
    list_select_related = ["account", "changed_by"]
    readonly_fields = ["changed_by", "changed_at"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [*self.readonly_fields, "account"] if obj else list(self.readonly_fields)

    def save_model(
        self, request: HttpRequest, obj: AccountComplianceSettings, form: Any, change: bool
    ) -> None:
        saved = services.compliance_settings_update(
            account=obj.account,
            disabled_rules=frozenset(form.cleaned_data["disabled_rules"]),
            changed_by=request.user,
        )
        obj.pk = saved.pk
        obj.changed_at = saved.changed_at


@admin.register(ComplianceSettingsChange)
class ComplianceSettingsChangeAdmin(admin.ModelAdmin):
    list_display = ["account", "disabled_rules", "changed_by", "changed_at"]
    list_filter = ["account"]
    list_select_related = ["account", "changed_by"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ReplyTemplate)
class ReplyTemplateAdmin(admin.ModelAdmin):
    list_display = ("title", "shortcut", "folder", "scope", "marketplace", "account", "owner", "usage_count")
    list_filter = ("scope", "marketplace", "folder")
    search_fields = ("title", "shortcut", "text")
    readonly_fields = ("usage_count", "created_by", "created_at", "updated_at")


@admin.register(LlmUsage)
class LlmUsageAdmin(admin.ModelAdmin):
    list_display = ("day", "account", "requests", "prompt_tokens", "completion_tokens")
    list_filter = ("account",)
    date_hierarchy = "day"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: LlmUsage | None = None) -> bool:
        return False
