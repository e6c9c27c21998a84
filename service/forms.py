"""Parsing of the report's query string, shared by the API and the /reports/ page."""

from datetime import date, timedelta

from django import forms
from django.utils.translation import gettext_lazy as _

from inbox.selectors import LARGEST_ID
from marketplaces.registry import marketplace_specs
from service.reports import GROUP_KEYS, ReportQuery

# A longer range is a different question (an export), and would let one request read every turn.
MAXIMUM_DAYS = 366
DATE_FORMAT = "%Y-%m-%d"
DATE_ERRORS = {"invalid": _("Use the YYYY-MM-DD format.")}


class ReportForm(forms.Form):
    # `from` is a Python keyword: the form reads it through `data`, the field is named date_from.
    date_from = forms.DateField(
        label=_("From"),
        input_formats=["%Y-%m-%d"],
        error_messages={"invalid": _("Use the YYYY-MM-DD format.")},
    )
    date_to = forms.DateField(
        label=_("To"), input_formats=["%Y-%m-%d"], error_messages={"invalid": _("Use the YYYY-MM-DD format.")}
    )
    group_by = forms.ChoiceField(
        label=_("Group by"),
        choices=[(key, key) for key in GROUP_KEYS],
        error_messages={"invalid_choice": _("Group by one of: day, marketplace, account, agent.")},
    )
    marketplace = forms.ChoiceField(label=_("Marketplace"), required=False, choices=[("", "")])
    account = forms.IntegerField(label=_("Account"), required=False, min_value=1, max_value=LARGEST_ID)
    agent = forms.IntegerField(label=_("Agent"), required=False, min_value=1, max_value=LARGEST_ID)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["marketplace"].choices = [("", _("All"))] + [
            (spec.name, spec.label) for spec in marketplace_specs()
        ]
        self.fields["date_from"].error_messages["required"] = _("Give the first day (from=YYYY-MM-DD).")
        self.fields["date_to"].error_messages["required"] = _("Give the last day (to=YYYY-MM-DD).")
        self.fields["group_by"].error_messages["required"] = _(
            "Group by one of: day, marketplace, account, agent."
        )

    @classmethod
    def from_query(cls, *, params: dict[str, str], default_group_by: str | None = None) -> "ReportForm":
        data = {
            "date_from": params.get("from", ""),
            "date_to": params.get("to", ""),
            "group_by": params.get("group_by", default_group_by or ""),
            "marketplace": params.get("marketplace", ""),
            "account": params.get("account", ""),
            "agent": params.get("agent", ""),
        }
        return cls(data=data)

    def clean(self) -> dict:
        data = super().clean()
        date_from, date_to = data.get("date_from"), data.get("date_to")
        if date_from and date_to:
            if date_from > date_to:
                raise forms.ValidationError({"date_to": _("The last day must not be before the first.")})
            if date_to - date_from >= timedelta(days=MAXIMUM_DAYS):
                raise forms.ValidationError(
                    {
                        "date_to": _("The period may not be longer than %(days)s days.")
                        % {"days": MAXIMUM_DAYS}
                    }
                )
        return data

    def report_query(self) -> ReportQuery:
        data = self.cleaned_data
        return ReportQuery(
            date_from=data["date_from"],
            date_to=data["date_to"],
            group_by=data["group_by"],
            marketplace=data.get("marketplace") or "",
            account_id=data.get("account"),
            agent_id=data.get("agent"),
        )

    def api_errors(self) -> dict[str, list[str]]:
        """Errors keyed by the query parameter names (`from`, `to`) rather than the field names."""
        names = {"date_from": "from", "date_to": "to"}
        return {
            names.get(field, field): [str(message) for message in messages]
            for field, messages in self.errors.items()
        }


def default_period(*, today: date) -> tuple[date, date]:
    return today - timedelta(days=29), today
