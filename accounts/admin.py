from typing import Any

from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from accounts import services
from accounts.forms import MarketplaceAccountForm
from accounts.models import MarketplaceAccount, SyncRun, SyncState
from marketplaces.errors import MarketplaceError

PUSH_ROUTES = {"ozon": "inbox:webhook-ozon", "yandex_market": "inbox:webhook-yandex-market"}


class SyncStateInline(admin.StackedInline):
    model = SyncState
    can_delete = False
    extra = 0
    fields = [
        "last_success_at",
        "last_attempt_at",
        "next_sync_at",
        "consecutive_failures",
        "last_error",
        "rate_limited_until",
        "capability_notes",
        "backfill_finished_at",
    ]
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(MarketplaceAccount)
class MarketplaceAccountAdmin(admin.ModelAdmin):
    form = MarketplaceAccountForm
    list_display = ["name", "marketplace", "external_id", "is_active", "last_success", "health"]
    list_filter = ["marketplace", "is_active"]
    search_fields = ["name", "external_id"]
    filter_horizontal = ["members"]
    readonly_fields = ["external_id", "push_url", "created_at"]
    inlines = [SyncStateInline]

    def get_inlines(self, request: HttpRequest, obj: MarketplaceAccount | None) -> list:
        return self.inlines if obj is not None else []

    def get_fieldsets(self, request: HttpRequest, obj: MarketplaceAccount | None = None) -> list:
        credentials = [
            "wildberries_token",
            "ozon_client_id",
            "ozon_api_key",
            "yandex_market_api_key",
            "yandex_market_business_id",
            "skip_check",
        ]
        fieldsets: list = [
            (None, {"fields": ["name", "marketplace", "is_active", "members"]}),
            (
                _("Credentials"),
                {
                    "fields": credentials,
                    "description": _(
                        "Fill in the fields of the selected marketplace. Secrets are never shown."
                    ),
                },
            ),
        ]
        if obj is not None:
            fieldsets.append((_("Cabinet"), {"fields": ["external_id", "push_url", "created_at"]}))
        return fieldsets

    def get_queryset(self, request: HttpRequest) -> Any:
        return super().get_queryset(request).select_related("sync_state")

    @admin.display(description=_("last successful sync"))
    def last_success(self, obj: MarketplaceAccount) -> Any:
        state = getattr(obj, "sync_state", None)
        return state.last_success_at if state else None

    @admin.display(description=_("health"))
    def health(self, obj: MarketplaceAccount) -> str:
        state = getattr(obj, "sync_state", None)
        if state is None:
            return "—"
        if state.consecutive_failures:
            return str(_("failing: %(error)s") % {"error": state.last_error[:120]})
        return str(_("ok"))

    @admin.display(description=_("push URL"))
    def push_url(self, obj: MarketplaceAccount) -> str:
        route = PUSH_ROUTES.get(obj.marketplace)
        if not route or not obj.pk:
            return "—"
        try:
            path = reverse(route, kwargs={"secret": obj.webhook_secret})
        except Exception:
            return "—"
        return format_html("<code>{}{}</code>", settings.PUBLIC_BASE_URL.rstrip("/"), path)

    def save_model(self, request: HttpRequest, obj: MarketplaceAccount, form: Any, change: bool) -> None:
        # Validation and the marketplace check happened in save_form via the service below.
        pass

    def save_form(self, request: HttpRequest, form: Any, change: bool) -> MarketplaceAccount:
        return form.instance

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        form.instance.members.set(form.cleaned_data.get("members", []))
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form_class = super().get_form(request, obj, change=change, **kwargs)

        class CheckedForm(form_class):
            def _post_clean(self) -> None:
                super()._post_clean()
                if self.errors:
                    return
                self.persist_through_service(request)

            def persist_through_service(self, request: HttpRequest) -> None:
                data = self.cleaned_data
                credentials = self.submitted_credentials()
                check = not data.get("skip_check")
                try:
                    if self.instance.pk:
                        self.instance = services.account_update(
                            account=self.instance,
                            name=data["name"],
                            is_active=data["is_active"],
                            credentials=credentials,
                            check=check,
                        )
                    else:
                        self.instance = services.account_create(
                            marketplace=data["marketplace"],
                            name=data["name"],
                            credentials=credentials,
                            check=check,
                        )
                except ValidationError as error:
                    self.add_credential_errors(error)
                except MarketplaceError as error:
                    self.add_error(
                        None,
                        _("The marketplace refused the credentials: %(reason)s") % {"reason": error.message},
                    )
                else:
                    state = SyncState.objects.filter(account=self.instance).first()
                    if state and state.capability_notes:
                        messages.warning(request, state.capability_notes)

        return CheckedForm


@admin.register(SyncRun)
class SyncRunAdmin(admin.ModelAdmin):
    list_display = [
        "account",
        "kind",
        "outcome",
        "started_at",
        "finished_at",
        "pages",
        "messages_created",
        "error",
    ]
    list_filter = ["kind", "outcome", "account__marketplace"]
    list_select_related = ["account"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
