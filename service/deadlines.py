"""Reply windows, reply deadlines and SLA states of chats (DESIGN.md §13).

`chat_deadlines_refresh` is called whenever a message of a chat is stored or one of our replies is
accepted by the marketplace; `chat_sla_states_advance` runs every minute, because a state depends on
the time: `ok` → `at_risk` → `breached`, and an Ozon window closes 48 h after the buyer's last message.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import MarketplaceAccount
from inbox.models import Chat
from marketplaces.registry import spec_for
from service.business_time import business_deadline
from service.models import WEEKDAYS, SlaPolicy
from service.turns import Event, TurnFacts, TurnRow, chat_turns_refresh

# `at_risk`: less than this share of the time from the start of the turn to the deadline remains.
AT_RISK_PERCENT = 20
SOURCE_SLA = "sla"
SOURCE_WINDOW = "window"
SOURCE_MARKETPLACE = "marketplace"
# `awaiting_reply_since` is kept by the ingest aggregates; it equals the open turn's start except when a
# buyer and a seller message share a timestamp (there the turn follows the message ids).
DEADLINE_FIELDS = [
    "reply_deadline",
    "reply_deadline_source",
    "reply_window_closes_at",
    "can_reply",
    "sla_state",
    "sla_at_risk_at",
]
BATCH = 500


ALERTING_TRANSITIONS = {
    (Chat.SlaState.OK, Chat.SlaState.AT_RISK),
    (Chat.SlaState.OK, Chat.SlaState.BREACHED),
    (Chat.SlaState.AT_RISK, Chat.SlaState.BREACHED),
}


def default_policy_values() -> dict[str, object]:
    """The default policy (DESIGN.md §13): around the clock, 60-minute targets, Europe/Moscow."""
    values: dict[str, object] = {
        "name": "По умолчанию",
        "first_response_minutes": 60,
        "next_response_minutes": 60,
    }
    for day in WEEKDAYS:
        values[f"{day}_opens"] = time(0)
        values[f"{day}_closes"] = time(0)
    return values


def sla_policy_for_accounts(*, account_ids: Iterable[int]) -> dict[int, SlaPolicy]:
    """The policy of each account: its own override, else the default one."""
    account_ids = set(account_ids)
    policies = {
        policy.account_id: policy
        for policy in SlaPolicy.objects.filter(Q(account_id__in=account_ids) | Q(account=None))
    }
    default = policies.pop(None, None) or SlaPolicy(**default_policy_values())
    return {account_id: policies.get(account_id, default) for account_id in account_ids}


@dataclass(frozen=True)
class ChatDeadline:
    open_turn_start: datetime | None
    reply_deadline: datetime | None
    reply_deadline_source: str
    reply_window_closes_at: datetime | None
    can_reply: bool
    sla_state: str
    sla_at_risk_at: datetime | None


def chat_deadline_compute(
    *, marketplace: str, marketplace_status: str, facts: TurnFacts, policy: SlaPolicy, now: datetime
) -> ChatDeadline:
    spec = spec_for(marketplace)
    window = spec.reply_window
    closes_at = None
    if window.after_buyer_message is not None and facts.last_buyer_message_at is not None:
        closes_at = facts.last_buyer_message_at + window.after_buyer_message
    status_closed = marketplace_status.upper() in window.closed_statuses
    can_reply = not status_closed and (closes_at is None or now < closes_at)
    start = facts.open_turn_start
    if start is None:
        return ChatDeadline(None, None, "", closes_at, can_reply, Chat.SlaState.NONE, None)
    minutes = policy.first_response_minutes if facts.open_turn_is_first else policy.next_response_minutes
    candidates = [(business_deadline(start=start, seconds=minutes * 60, policy=policy), SOURCE_SLA)]
    if closes_at is not None:
        candidates.append((closes_at, SOURCE_WINDOW))
    if spec.answer_within is not None:
        candidates.append((start + spec.answer_within, SOURCE_MARKETPLACE))
    deadline, source = min(candidates, key=lambda candidate: candidate[0])
    at_risk_at = deadline - (deadline - start) * AT_RISK_PERCENT / 100
    if not can_reply:
        state = Chat.SlaState.CLOSED
    elif now > deadline:
        state = Chat.SlaState.BREACHED
    elif now > at_risk_at:
        state = Chat.SlaState.AT_RISK
    else:
        state = Chat.SlaState.OK
    return ChatDeadline(start, deadline, source, closes_at, can_reply, state, at_risk_at)


def chat_deadlines_refresh(*, chat_ids: Iterable[int], now: datetime | None = None) -> int:
    """Recompute turns, reply window, deadline and SLA state of `chat_ids`; returns how many chats changed.

    Runs in the caller's transaction when there is one (a sync page, a reply marked sent).
    """
    now = now or timezone.now()
    chat_ids = sorted(set(chat_ids))
    changed = 0
    for index in range(0, len(chat_ids), BATCH):
        # Atomic also when called outside a transaction (periodic task, admin, command): the turns of a
        # chat are rewritten with a delete and an insert, and PostgreSQL's bulk insert stages its rows
        # in a temporary table emptied at each commit. Inside the caller's transaction no savepoint
        # (two statements per ingest page): nothing catches a failure here to carry on.
        with transaction.atomic(savepoint=False):
            changed += _batch_refresh(chat_ids=chat_ids[index : index + BATCH], now=now)
    return changed


def turn_sla_deadline(*, policy: SlaPolicy, turn: TurnRow) -> datetime:
    minutes = policy.first_response_minutes if turn.sequence == 0 else policy.next_response_minutes
    return business_deadline(start=turn.started_at, seconds=minutes * 60, policy=policy)


def page_chat_deadlines_refresh(
    *,
    account: MarketplaceAccount,
    chats: list[Chat],
    new_chats_events: dict[int, list[Event]],
    now: datetime,
) -> int:
    """`chat_deadlines_refresh` for the chats of one ingest page, in the page's transaction.

    The chats are the page's own up-to-date instances (not read again), and `new_chats_events` the
    complete events of the chats the page created (`service.turns.new_chat_events`)."""
    changed = 0
    with transaction.atomic(savepoint=False):
        for index in range(0, len(chats), BATCH):
            changed += _chats_refresh(
                chats=chats[index : index + BATCH],
                marketplaces={chat.pk: account.marketplace for chat in chats[index : index + BATCH]},
                new_chats_events=new_chats_events,
                now=now,
            )
    return changed


def _batch_refresh(*, chat_ids: list[int], now: datetime) -> int:
    chats = list(
        Chat.objects.filter(pk__in=chat_ids)
        .select_related("account")
        .only("pk", "account__marketplace", "marketplace_status", *DEADLINE_FIELDS)
    )
    return _chats_refresh(
        chats=chats, marketplaces={chat.pk: chat.account.marketplace for chat in chats}, now=now
    )


def _chats_refresh(
    *,
    chats: list[Chat],
    marketplaces: dict[int, str],
    now: datetime,
    new_chats_events: dict[int, list[Event]] | None = None,
) -> int:
    if not chats:
        return 0
    policies = sla_policy_for_accounts(account_ids={chat.account_id for chat in chats})
    facts = chat_turns_refresh(
        chat_ids=[chat.pk for chat in chats],
        sla_deadline=lambda account_id, turn: turn_sla_deadline(policy=policies[account_id], turn=turn),
        chat_accounts={chat.pk: (chat.account_id, marketplaces[chat.pk]) for chat in chats},
        new_chats_events=new_chats_events,
    )
    changed = []
    alerts: list[tuple[int, str]] = []
    for chat in chats:
        before = chat.sla_state
        values = chat_deadline_compute(
            marketplace=marketplaces[chat.pk],
            marketplace_status=chat.marketplace_status,
            facts=facts[chat.pk],
            policy=policies[chat.account_id],
            now=now,
        )
        dirty = False
        for name in DEADLINE_FIELDS:
            value = getattr(values, name)
            if getattr(chat, name) != value:
                setattr(chat, name, value)
                dirty = True
        if dirty:
            changed.append(chat)
        # Only a chat that gets late while the product watches alerts anyone (DESIGN.md §15): a chat
        # imported already late goes from `none` straight to `breached` and stays quiet.
        if (before, chat.sla_state) in ALERTING_TRANSITIONS:
            alerts.append((chat.pk, chat.sla_state))
    # Imported here: inbox.services imports this module (the ingest hook).
    from inbox.services.bulk import rows_update_by_pk

    rows_update_by_pk(
        model=Chat,
        field_names=DEADLINE_FIELDS,
        rows=((chat.pk, [getattr(chat, name) for name in DEADLINE_FIELDS]) for chat in changed),
    )
    if alerts:
        transaction.on_commit(lambda: _sla_alerts_queue(alerts=alerts))
    return len(changed)


def _sla_alerts_queue(*, alerts: list[tuple[int, str]]) -> None:
    from notify.services.events import sla_notifications_create

    chats = Chat.objects.select_related("account").in_bulk([chat_id for chat_id, _state in alerts])
    for chat_id, state in alerts:
        if chat_id in chats:
            sla_notifications_create(chat=chats[chat_id], sla_state=state)


def chat_sla_states_advance(*, now: datetime | None = None) -> int:
    """Every minute: recompute the chats whose state the passing time has moved."""
    now = now or timezone.now()
    due = Chat.objects.filter(
        Q(sla_state=Chat.SlaState.OK, sla_at_risk_at__lt=now)
        | Q(sla_state__in=[Chat.SlaState.OK, Chat.SlaState.AT_RISK], reply_deadline__lt=now)
        | Q(can_reply=True, reply_window_closes_at__lte=now)
    ).values_list("pk", flat=True)
    return chat_deadlines_refresh(chat_ids=list(due), now=now)


def open_chat_ids(*, account_ids: Iterable[int] | None = None) -> list[int]:
    chats = Chat.objects.filter(awaiting_reply_since__isnull=False)
    if account_ids is not None:
        chats = chats.filter(account_id__in=list(account_ids))
    return list(chats.values_list("pk", flat=True))


def sla_policy_changed(*, policy: SlaPolicy) -> int:
    """After a policy is saved: recompute the open chats it governs (the default governs the accounts
    without a policy of their own)."""
    if policy.account_id is not None:
        return chat_deadlines_refresh(chat_ids=open_chat_ids(account_ids=[policy.account_id]))
    overridden = SlaPolicy.objects.exclude(account=None).values_list("account_id", flat=True)
    return chat_deadlines_refresh(
        chat_ids=Chat.objects.filter(awaiting_reply_since__isnull=False)
        .exclude(account_id__in=overridden)
        .values_list("pk", flat=True)
    )
