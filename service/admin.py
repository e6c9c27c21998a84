from django.contrib import admin
from django.db import transaction
from django.http import HttpRequest

from service.deadlines import sla_policy_changed
from service.models import WEEKDAYS, SlaPolicy


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    list_display = ["name", "account", "first_response_minutes", "next_response_minutes", "time_zone"]
    fieldsets = [
        (None, {"fields": ["name", "account", "first_response_minutes", "next_response_minutes"]}),
        (None, {"fields": ["time_zone", "observe_production_calendar"]}),
        (None, {"fields": [(f"{day}_opens", f"{day}_closes") for day in WEEKDAYS]}),
    ]

    def save_model(self, request: HttpRequest, obj: SlaPolicy, form: object, change: bool) -> None:
        super().save_model(request, obj, form, change)
        transaction.on_commit(lambda: sla_policy_changed(policy=obj))

    def delete_model(self, request: HttpRequest, obj: SlaPolicy) -> None:
        account_id = obj.account_id
        super().delete_model(request, obj)
        if account_id is not None:
            transaction.on_commit(lambda: sla_policy_changed(policy=SlaPolicy(account_id=account_id)))
