"""The deadline badge of a chat row and the "why" line of the chat pane (DESIGN.md §13)."""

from datetime import datetime

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from inbox.models import Chat
from marketplaces.registry import spec_for

register = template.Library()
# Under an hour left, the badge counts minutes instead of showing the time.
COUNTDOWN_SECONDS = 3600


def deadline_text(*, deadline: datetime, now: datetime) -> str:
    remaining = (deadline - now).total_seconds()
    if remaining < 0:
        minutes = int(-remaining // 60)
        if minutes < 60:
            return ngettext("overdue by %(count)d min", "overdue by %(count)d min", minutes) % {
                "count": minutes
            }
        late = timezone.localtime(deadline)
        if late.date() == timezone.localdate(now):
            return _("overdue since %(time)s") % {"time": late.strftime("%H:%M")}
        return _("overdue since %(date)s %(time)s") % {
            "date": late.strftime("%d.%m"),
            "time": late.strftime("%H:%M"),
        }
    if remaining < COUNTDOWN_SECONDS:
        minutes = int(remaining // 60)
        return ngettext("%(count)d min left", "%(count)d min left", minutes) % {"count": minutes}
    local = timezone.localtime(deadline)
    if local.date() == timezone.localdate(now):
        return _("reply by %(time)s") % {"time": local.strftime("%H:%M")}
    return _("reply by %(date)s %(time)s") % {
        "date": local.strftime("%d.%m"),
        "time": local.strftime("%H:%M"),
    }


@register.simple_tag
def deadline_badge(chat: Chat) -> str:
    """A badge the page's script keeps counting down (data-deadline); empty when no turn is open."""
    if chat.sla_state == Chat.SlaState.CLOSED:
        return format_html('<span class="deadline sla-closed">{}</span>', _("window closed"))
    if chat.reply_deadline is None:
        return ""
    return format_html(
        '<span class="deadline sla-{}" data-deadline="{}" data-time-zone="{}" title="{}">{}</span>',
        chat.sla_state,
        chat.reply_deadline.isoformat(),
        timezone.get_current_timezone_name(),
        timezone.localtime(chat.reply_deadline).strftime("%d.%m.%Y %H:%M"),
        deadline_text(deadline=chat.reply_deadline, now=timezone.now()),
    )


@register.simple_tag
def deadline_reason(chat: Chat) -> str:
    """Why the chat must be answered by then, or why it cannot be answered."""
    spec = spec_for(chat.account.marketplace)
    if not chat.can_reply:
        reason = spec.reply_window.reason or _("the marketplace takes no reply in this chat")
        return format_html('<p class="deadline-why sla-closed">{}: {}</p>', _("Reply window closed"), reason)
    if chat.reply_deadline is None:
        return ""
    reasons = {
        "sla": _("the team's SLA target"),
        "window": str(spec.reply_window.reason),
        "marketplace": str(spec.answer_within_reason),
    }
    return format_html(
        '<p class="deadline-why sla-{}">{} {} — {}</p>',
        chat.sla_state,
        _("Answer by"),
        timezone.localtime(chat.reply_deadline).strftime("%d.%m.%Y %H:%M"),
        reasons.get(chat.reply_deadline_source, ""),
    )


@register.simple_tag
def arbitration_label(chat: Chat) -> str:
    """The list row's mark of a dispute chat (Yandex Market ARBITRAGE), whose answers the arbiter reads."""
    window = spec_for(chat.account.marketplace).reply_window
    if not window.answered_to_arbiter(extras=chat.extras):
        return ""
    return format_html(
        '<span class="kind arbitration" title="{}">{}</span>', window.arbiter_notice, _("arbitration")
    )


@register.simple_tag
def arbitration_notice(chat: Chat) -> str:
    """Above the reply box of a dispute chat: the answer goes to the arbiter (the box itself stays on)."""
    window = spec_for(chat.account.marketplace).reply_window
    if not window.answered_to_arbiter(extras=chat.extras):
        return ""
    return format_html('<p class="arbitration-notice" id="arbitration-notice">{}</p>', window.arbiter_notice)
