from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.utils import display_for_field
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from accounts import services
from accounts.admin_base import TranslatedAdmin, field_column, titled_filter
from accounts.credential_checks import credentials_refused
from accounts.forms import account_form_for, credential_inputs
from accounts.models import MarketplaceAccount, SyncRun, SyncState
from accounts.selectors import account_push_url
from audit.models import AuditEvent
from audit.services import audit_record
from marketplaces.errors import MarketplaceError
from marketplaces.registry import MARKETPLACE_SPECS, marketplace_specs, spec_for

admin.site.site_header = _("Chat Center administration")
admin.site.site_title = _("Chat Center administration")
admin.site.index_title = _("Administration")


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
        "backfill_finished",
    ]
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("Backfill finished at"))
    def backfill_finished(self, obj: SyncState) -> Any:
        field = SyncState._meta.get_field("backfill_finished_at")
        return display_for_field(obj.backfill_finished_at, field, "—")


@admin.register(MarketplaceAccount)
class MarketplaceAccountAdmin(TranslatedAdmin):
    count_phrase = ngettext_lazy("%(count)d marketplace account", "%(count)d marketplace accounts", "count")
    list_display = ["name", "marketplace", "external_id", "is_active", "last_success", "health"]
    list_filter = ["marketplace", "is_active"]
    search_fields = ["name", "external_id"]
    filter_horizontal = ["members"]
    readonly_fields = ["external_id", "push_url", "created_at"]
    inlines = [SyncStateInline]
    choose_marketplace_template = "admin/accounts/marketplaceaccount/choose_marketplace.html"

    def get_inlines(self, request: HttpRequest, obj: MarketplaceAccount | None) -> list:
        return self.inlines if obj is not None else []

    def chosen_marketplace(self, request: HttpRequest, obj: MarketplaceAccount | None) -> str:
        if obj is not None:
            return obj.marketplace
        chosen = request.GET.get("marketplace") or request.POST.get("marketplace") or ""
        return chosen if chosen in MARKETPLACE_SPECS else ""

    def add_view(self, request: HttpRequest, form_url: str = "", extra_context: Any = None) -> HttpResponse:
        # Step one: the marketplace decides which credential fields the form has.
        if request.method == "GET" and not self.chosen_marketplace(request, None):
            if not self.has_add_permission(request):
                return super().add_view(request, form_url, extra_context)
            context = {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "title": _("Add marketplace account"),
                "subtitle": _("Choose the marketplace"),
                "marketplaces": marketplace_specs(),
                "has_view_permission": self.has_view_permission(request),
            }
            return TemplateResponse(request, self.choose_marketplace_template, context)
        return super().add_view(request, form_url, extra_context)

    def get_fieldsets(self, request: HttpRequest, obj: MarketplaceAccount | None = None) -> list:
        marketplace = self.chosen_marketplace(request, obj)
        fieldsets: list = [(None, {"fields": ["name", "marketplace", "is_active", "members"]})]
        if marketplace:
            fieldsets.append(
                (
                    _("Credentials: %(marketplace)s") % {"marketplace": spec_for(marketplace).label},
                    {
                        "fields": [*credential_inputs(marketplace=marketplace), "skip_check"],
                        "description": self.credentials_description(obj),
                    },
                )
            )
        if obj is not None:
            fieldsets.append((_("Cabinet"), {"fields": ["external_id", "push_url", "created_at"]}))
        return fieldsets

    def credentials_description(self, obj: MarketplaceAccount | None) -> str:
        if obj is not None:
            return str(_("Secrets are never shown."))
        return format_html(
            '{} <a href="?">{}</a>', _("Secrets are never shown."), _("Choose another marketplace")
        )

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
        url = account_push_url(account=obj) if obj.pk else ""
        return format_html("<code>{}</code>", url) if url else "—"

    def save_model(self, request: HttpRequest, obj: MarketplaceAccount, form: Any, change: bool) -> None:
        # Validation and the marketplace check happened in the form's _post_clean via the service below.
        pass

    def save_form(self, request: HttpRequest, form: Any, change: bool) -> MarketplaceAccount:
        return form.instance

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        before = sorted(form.instance.members.values_list("username", flat=True)) if change else []
        form.instance.members.set(form.cleaned_data.get("members", []))
        after = sorted(form.instance.members.values_list("username", flat=True))
        if before != after:
            audit_record(
                actor=request.user,
                action=AuditEvent.Action.MEMBERS_CHANGED,
                target=form.instance,
                request=request,
                details={"before": before, "after": after},
            )
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        kwargs["form"] = account_form_for(marketplace=self.chosen_marketplace(request, obj))
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
                            actor=request.user,
                        )
                    else:
                        self.instance = services.account_create(
                            marketplace=self.marketplace,
                            name=data["name"],
                            credentials=credentials,
                            check=check,
                            actor=request.user,
                        )
                except ValidationError as error:
                    self.add_credential_errors(error)
                except MarketplaceError as error:
                    self.add_error(None, credentials_check_failure(error=error))
                else:
                    state = SyncState.objects.filter(account=self.instance).first()
                    if state and state.capability_notes:
                        messages.warning(request, state.capability_notes)

        return CheckedForm


def credentials_check_failure(*, error: MarketplaceError) -> str:
    """What an admin reads when the check with the marketplace did not pass: refused or not reached."""
    if credentials_refused(error=error):
        return str(_("The marketplace refused the credentials: %(reason)s") % {"reason": error.message})
    return str(
        _(
            "The marketplace could not be reached to check the credentials: %(reason)s. Try again later, "
            "or save without the check."
        )
        % {"reason": error.message}
    )


@admin.register(SyncRun)
class SyncRunAdmin(TranslatedAdmin):
    count_phrase = ngettext_lazy("%(count)d sync run", "%(count)d sync runs", "count")
    field_labels = {
        "account": _("marketplace account"),
        "kind": _("kind"),
        "outcome": _("outcome"),
        "finished_at": _("finished"),
        "pages": _("pages"),
        "requests": _("requests"),
        "chats_upserted": _("chats updated"),
        "messages_created": _("messages created"),
        "items_skipped": _("items skipped"),
        "error": _("error"),
    }
    list_display = [
        field_column("account", _("marketplace account")),
        field_column("kind", _("kind")),
        field_column("outcome", _("outcome")),
        field_column("started_at", _("started")),
        field_column("finished_at", _("finished")),
        field_column("pages", _("pages")),
        field_column("messages_created", _("messages created")),
        field_column("error", _("error")),
    ]
    list_filter = [
        ("kind", titled_filter(_("kind"))),
        ("outcome", titled_filter(_("outcome"))),
        "account__marketplace",
    ]
    list_select_related = ["account"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
