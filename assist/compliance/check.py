"""The one pre-send check (DESIGN.md §14): every outgoing text passes it before it is queued."""

import re

from django.utils.translation import gettext

from assist.compliance.contacts import (
    email_spans,
    handle_spans,
    link_spans,
    messenger_word_spans,
)
from assist.compliance.lexicon import cancel_spans, disparagement_spans, personal_data_spans, profanity_spans
from assist.compliance.phones import phone_spans
from assist.compliance.text import prepare
from assist.compliance.types import (
    BLOCK,
    EMPTY,
    MESSAGES,
    SEVERITIES,
    TOO_LONG,
    TOO_SHORT,
    CheckResult,
    Span,
    Violation,
)
from marketplaces.registry import spec_for

# A word is a run of letters or digits (emoji and punctuation are not words).
_WORD = re.compile(r"[^\W_]+")
DEFAULT_KIND = "chat"
# Four times the longest message any marketplace takes: a longer text is `too_long` whatever it says, so
# its content is not read (reading costs about a millisecond per 1,000 characters).
CONTENT_READ_LIMIT = 20_000


def compliance_check(
    *, text: str, marketplace: str, disabled_rules: frozenset[str] = frozenset(), kind: str = DEFAULT_KIND
) -> CheckResult:
    """Check one outgoing text for `marketplace` (KeyError for an unknown one); `kind` is the chat kind."""
    spec = spec_for(marketplace)
    if not text.strip():
        spans = [Span(EMPTY, 0, len(text))]
    else:
        spans = (
            _content_spans(text, allowed_domains=spec.compliance.allowed_domains)
            if len(text) <= CONTENT_READ_LIMIT
            else []
        )
        if len(text) > spec.text_limit_for(kind=kind):
            spans.append(Span(TOO_LONG, 0, len(text)))
        if spec.compliance.forbids_one_word and len(_WORD.findall(text)) == 1:
            spans.append(Span(TOO_SHORT, 0, len(text)))
    reported = sorted(
        (span for span in spans if span.rule not in disabled_rules),
        key=lambda item: (item.start, item.end, item.rule),
    )
    messages = {rule: gettext(MESSAGES[rule]) for rule in {span.rule for span in reported}}
    violations = tuple(
        Violation(
            rule=span.rule,
            severity=SEVERITIES[span.rule],
            message=messages[span.rule],
            start=span.start,
            end=span.end,
        )
        for span in reported
    )
    return CheckResult(
        allowed=not any(violation.severity == BLOCK for violation in violations), violations=violations
    )


def _content_spans(text: str, *, allowed_domains: tuple[str, ...]) -> list[Span]:
    prepared = prepare(text)
    emails = email_spans(prepared)
    links = link_spans(prepared, allowed_domains=allowed_domains, taken=emails)
    contacts = emails + links.spans
    contacts += handle_spans(prepared, taken=contacts)
    contacts += messenger_word_spans(prepared, taken=contacts)
    reported_links = [(link.start, link.end) for link in links.spans]
    phones = [
        span
        for span in phone_spans(prepared)
        if not _inside(span, reported_links) and not _inside(span, links.id_paths)
    ]
    spans = [
        *contacts,
        *phones,
        *cancel_spans(prepared),
        *personal_data_spans(prepared, taken=contacts + phones),
        *profanity_spans(prepared),
        *disparagement_spans(prepared),
    ]
    return [Span(span.rule, *prepared.original(span.start, span.end)) for span in spans]


def _inside(span: Span, regions: list[tuple[int, int]]) -> bool:
    # A number inside a reported link ("wa.me/79161234567") is reported with the link, once; one in the id
    # path of the marketplace's own link ("ozon.ru/product/89161234567") is the marketplace's id.
    return any(start <= span.start and span.end <= end for start, end in regions)
