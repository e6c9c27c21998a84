"""SLA policies and the response turns that reports read (DESIGN.md §13)."""

from datetime import time

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from accounts.models import MarketplaceAccount

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
DEFAULT_TIME_ZONE = "Europe/Moscow"
WEEKDAY_LABELS = {
    "monday": _("Monday"),
    "tuesday": _("Tuesday"),
    "wednesday": _("Wednesday"),
    "thursday": _("Thursday"),
    "friday": _("Friday"),
    "saturday": _("Saturday"),
    "sunday": _("Sunday"),
}


def _hours_fields() -> dict[str, models.TimeField]:
    fields: dict[str, models.TimeField] = {}
    for day in WEEKDAYS:
        fields[f"{day}_opens"] = models.TimeField(
            format_lazy(_("{day}: opens"), day=WEEKDAY_LABELS[day]), null=True, blank=True
        )
        fields[f"{day}_closes"] = models.TimeField(
            format_lazy(_("{day}: closes"), day=WEEKDAY_LABELS[day]),
            null=True,
            blank=True,
            help_text=_("00:00 means midnight at the end of the day."),
        )
    return fields


class SlaPolicy(models.Model):
    """How fast the team promises to answer, counted in its business hours.

    One policy has no account: the default for every account without an override of its own.
    A weekday with no opening time is a day off; 00:00–00:00 is the whole day.
    """

    name = models.CharField(_("name"), max_length=200)
    account = models.OneToOneField(
        MarketplaceAccount,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="sla_policy",
        verbose_name=_("account"),
        help_text=_("Empty: the default policy for every account without its own."),
    )
    first_response_minutes = models.PositiveIntegerField(
        _("first response target, minutes"), default=60, validators=[MinValueValidator(1)]
    )
    next_response_minutes = models.PositiveIntegerField(
        _("next response target, minutes"), default=60, validators=[MinValueValidator(1)]
    )
    time_zone = models.CharField(_("time zone"), max_length=64, default=DEFAULT_TIME_ZONE)
    observe_production_calendar = models.BooleanField(
        _("observe the Russian production calendar"),
        default=False,
        help_text=_("Public holidays are days off; transferred working days work the hours of Monday."),
    )
    updated_at = models.DateTimeField(auto_now=True)

    locals().update(_hours_fields())

    class Meta:
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        constraints = [
            models.UniqueConstraint(
                fields=["account"], condition=Q(account__isnull=True), name="sla_policy_one_default"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def hours_for(self, *, weekday: int) -> tuple[time, time] | None:
        """Opening and closing time of a weekday (0 = Monday); None for a day off."""
        day = WEEKDAYS[weekday]
        opens = getattr(self, f"{day}_opens")
        closes = getattr(self, f"{day}_closes")
        if opens is None:
            return None
        return opens, closes or time(0)

    def clean(self) -> None:
        from zoneinfo import available_timezones

        if self.time_zone not in available_timezones():
            raise ValidationError({"time_zone": _("Unknown time zone.")})
        for day in WEEKDAYS:
            opens = getattr(self, f"{day}_opens")
            closes = getattr(self, f"{day}_closes")
            if opens is None and closes is not None:
                raise ValidationError({f"{day}_opens": _("Give the opening time too.")})
            if opens is not None and closes is not None and closes != time(0) and closes <= opens:
                raise ValidationError({f"{day}_closes": _("Closing must be later than opening.")})
        if all(getattr(self, f"{day}_opens") is None for day in WEEKDAYS):
            raise ValidationError(_("Give the business hours of at least one weekday."))


class ResponseTurn(models.Model):
    """One buyer turn of a chat: from the buyer message that opened it to the seller reply that ended it.

    Maintained as messages are stored (`service.turns.chat_turns_refresh`), so reports never read messages.
    `account`, `marketplace` and `start_day` are copies kept here for the report's filters and groups.
    """

    chat = models.ForeignKey("inbox.Chat", on_delete=models.CASCADE, related_name="turns", db_index=False)
    account = models.ForeignKey(
        MarketplaceAccount, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    marketplace = models.CharField(max_length=32)
    sequence = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    # The Europe/Moscow day of `started_at`: the day a report counts the turn in.
    start_day = models.DateField()
    answered_at = models.DateTimeField(null=True, blank=True)
    response_seconds = models.PositiveIntegerField(null=True, blank=True)
    # The team's SLA target for this turn (the policy in force when the turn was stored).
    sla_deadline = models.DateTimeField(null=True, blank=True)
    # Answered by `sla_deadline` (null while unanswered: then it depends on the time of the report).
    sla_met = models.BooleanField(null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )

    class Meta:
        verbose_name = _("response turn")
        verbose_name_plural = _("response turns")
        constraints = [
            models.UniqueConstraint(fields=["chat", "sequence"], name="turn_chat_sequence_uniq"),
        ]
        # Both report queries read only these columns: the first index answers them without the table
        # (an index-only scan on SQLite and, after VACUUM, PostgreSQL); the second serves one account.
        indexes = [
            models.Index(
                fields=[
                    "start_day",
                    "account",
                    "marketplace",
                    "answered_by",
                    "sequence",
                    "response_seconds",
                    "sla_met",
                ],
                name="turn_report_idx",
            ),
            models.Index(fields=["account", "start_day"], name="turn_account_day_idx"),
            # Covering the overdue count of the reports: smaller than the first, so SQLite's planner
            # takes it (with only start_day and sla_deadline it scanned the whole report index instead).
            models.Index(
                fields=["start_day", "account", "marketplace", "sla_deadline"],
                name="turn_unanswered_cover_idx",
                condition=models.Q(answered_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.chat_id}#{self.sequence}"


class OzonRatingFetch(models.Model):
    """The last daily fetch of Ozon's own ratings for one account: when, and why it failed if it did."""

    account = models.OneToOneField(
        MarketplaceAccount, on_delete=models.CASCADE, primary_key=True, related_name="ozon_rating_fetch"
    )
    attempted_at = models.DateTimeField()
    succeeded_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True, default="")

    class Meta:
        verbose_name = _("Ozon ratings fetch")
        verbose_name_plural = _("Ozon ratings fetches")

    def __str__(self) -> str:
        return f"{self.account_id}: {self.attempted_at:%Y-%m-%d %H:%M}"


class OzonRating(models.Model):
    """One of Ozon's own chat ratings for an account as Ozon computed it (not our figures: see reports.py).

    `value`/`status` come from /v1/rating/summary; thresholds and `history` ([{"date": ISO, "value": x}])
    from /v1/rating/history.
    """

    account = models.ForeignKey(MarketplaceAccount, on_delete=models.CASCADE, related_name="ozon_ratings")
    rating = models.CharField(max_length=64)
    name = models.CharField(max_length=200, blank=True, default="")
    value = models.FloatField(null=True, blank=True)
    past_value = models.FloatField(null=True, blank=True)
    status = models.CharField(max_length=32, blank=True, default="")
    value_type = models.CharField(max_length=32, blank=True, default="")
    direction = models.CharField(max_length=32, blank=True, default="")
    warning_threshold = models.FloatField(null=True, blank=True)
    danger_threshold = models.FloatField(null=True, blank=True)
    premium_threshold = models.FloatField(null=True, blank=True)
    history = models.JSONField(default=list, blank=True)
    fetched_at = models.DateTimeField()

    class Meta:
        verbose_name = _("Ozon rating")
        verbose_name_plural = _("Ozon ratings")
        ordering = ["account", "rating"]
        constraints = [
            models.UniqueConstraint(fields=["account", "rating"], name="ozon_rating_account_rating_uniq"),
        ]

    def __str__(self) -> str:
        return f"{self.account_id}:{self.rating}"


class TurnDay(models.Model):
    """The turns of one (Moscow day, account, marketplace, agent, first turn or not), added up.

    Kept by `service.rollup.turn_days_apply` in the transaction that rewrites the turns, so a report
    reads one row per group and day instead of every turn. `response_times` holds the response time of
    every answered turn of the row, sorted, as little-endian unsigned 32-bit integers: percentiles stay
    exact (nearest rank over the merged values), not estimated from buckets.
    """

    start_day = models.DateField()
    account = models.ForeignKey(
        MarketplaceAccount, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    marketplace = models.CharField(max_length=32)
    # The user whose reply ended the turns (no foreign key: 0 stands for "none", so the row's key is unique
    # without NULLs); 0 for replies typed in the cabinet and for unanswered turns.
    agent_id = models.PositiveIntegerField(default=0)
    first = models.BooleanField()
    turns = models.PositiveIntegerField(default=0)
    answered = models.PositiveIntegerField(default=0)
    total_seconds = models.BigIntegerField(default=0)
    within_day = models.PositiveIntegerField(default=0)
    sla_met = models.PositiveIntegerField(default=0)
    sla_missed = models.PositiveIntegerField(default=0)
    response_times = models.BinaryField(default=b"")

    class Meta:
        verbose_name = _("response turn day")
        verbose_name_plural = _("response turn days")
        constraints = [
            models.UniqueConstraint(
                fields=["start_day", "account", "marketplace", "agent_id", "first"], name="turn_day_key_uniq"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.start_day} {self.account_id} {self.marketplace} {self.agent_id} {self.first}"
