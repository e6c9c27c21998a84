"""The optional daily e-mail digest: chats waiting now, deadlines missed, yesterday's response times."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from inbox.models import Chat
from inbox.selectors import chat_queryset_for_user
from notify.models import Channel, Event, Notification
from service.reports import ReportQuery, response_time_report


def _minutes(seconds: int | None) -> str:
    return "—" if seconds is None else _("%(minutes)s min") % {"minutes": round(seconds / 60)}


def digest_text(*, user: object, day: datetime) -> str:
    """The digest for one user: only the chats of the cabinets they work (the inbox's rule)."""
    chats = chat_queryset_for_user(user=user)
    waiting = chats.filter(awaiting_reply_since__isnull=False).exclude(status=Chat.Status.RESOLVED).count()
    breached = chats.filter(sla_state=Chat.SlaState.BREACHED).count()
    yesterday = (day - timedelta(days=1)).date()
    report = response_time_report(
        user=user, query=ReportQuery(date_from=yesterday, date_to=yesterday, group_by="day")
    )
    group = report["groups"][0] if report["groups"] else None
    lines = [
        _("Chats waiting for an answer now: %(count)s") % {"count": waiting},
        _("Chats past their reply deadline: %(count)s") % {"count": breached},
        _("Yesterday (%(day)s):") % {"day": yesterday.strftime("%d.%m.%Y")},
    ]
    if group is None:
        lines.append(_("no buyer wrote."))
    else:
        ratio = group["answered_within_24h_ratio"]
        lines += [
            _("buyer turns %(turns)s, answered %(answered)s, unanswered %(unanswered)s")
            % {"turns": group["turns"], "answered": group["answered"], "unanswered": group["unanswered"]},
            _("response time: median %(median)s, p90 %(p90)s")
            % {
                "median": _minutes(group["response"]["median_seconds"]),
                "p90": _minutes(group["response"]["p90_seconds"]),
            },
            _("answered within 24 h: %(share)s")
            % {"share": "—" if ratio is None else f"{round(ratio * 100)} %"},
        ]
    lines.append(f"{settings.PUBLIC_BASE_URL.rstrip('/')}/inbox/?awaiting=1")
    return "\n".join(lines)


def daily_digests_send(*, now: datetime | None = None) -> int:
    """Once a day per user who asked for it (the outbox key holds the date, so a rerun sends nothing)."""
    now = now or timezone.now()
    day = now.astimezone(ZoneInfo(settings.TIME_ZONE))
    sent = 0
    users = (
        get_user_model()
        .objects.filter(is_active=True, notification_settings__email_daily_digest=True)
        .exclude(email="")
    )
    for user in users:
        row, created = Notification.objects.get_or_create(
            event_key=f"digest:{day.date().isoformat()}",
            recipient=user,
            channel=Channel.EMAIL,
            defaults={
                "event": Event.DAILY_DIGEST,
                "next_attempt_at": now,
                "status": Notification.Status.SENDING,
            },
        )
        if not created:
            continue
        with translation.override(settings.LANGUAGE_CODE):
            text = digest_text(user=user, day=day)
            subject = _("Chat Center: the day's summary")
        try:
            send_mail(
                subject=subject,
                message=text,
                from_email=settings.DEFAULT_FROM_EMAIL,
                recipient_list=[user.email],
            )
        except OSError as exc:
            Notification.objects.filter(pk=row.pk).update(
                status=Notification.Status.FAILED, last_error=f"mail server: {exc.__class__.__name__}"
            )
            continue
        Notification.objects.filter(pk=row.pk).update(
            status=Notification.Status.SENT, sent_at=now, text=text[:2000]
        )
        sent += 1
    return sent
