"""What is particular to Wildberries, read by the rest of the product through the registry."""

from datetime import timedelta

from django.utils.translation import gettext_lazy as _

from marketplaces.spec import MEGABYTE, ComplianceRules, FileLimits, MarketplaceSpec
from marketplaces.wildberries.credentials import CREDENTIAL_SCHEMA

# wb-09-communications-2026-07.yaml, POST /api/v1/seller/message: "Текст сообщения. Максимум 1000 символов";
# multipart `file`: "JPEG, PDF или PNG, максимальный размер — 5 Мб"; text and file travel in one request.
WILDBERRIES_SPEC = MarketplaceSpec(
    name="wildberries",
    label=_("Wildberries"),
    short_label=_("WB"),
    credential_fields=("token",),
    text_limit=1000,
    file_limits=FileLimits(
        supported=True,
        extensions={
            ".jpg": "image/jpeg",
            ".jpeg": "image/jpeg",
            ".png": "image/png",
            ".pdf": "application/pdf",
        },
        max_bytes=5 * MEGABYTE,
        max_files=1,
        text_with_file=True,
    ),
    # PATCH /api/v1/questions takes text only.
    kinds_without_files=frozenset({"question"}),
    # PATCH /api/v1/questions replaces the question's one answer.
    single_answer_kinds=frozenset({"question"}),
    answer_within=timedelta(days=10),
    answer_within_reason=_("Wildberries: a buyer must be answered within 10 days"),
    compliance=ComplianceRules(allowed_domains=("wildberries.ru", "wb.ru"), forbids_one_word=True),
    push_route=None,
    # Events feed: 10 requests / 10 s; an idle cycle costs one call.
    sync_interval_seconds=10,
    can_mark_read=False,
    credentials=CREDENTIAL_SCHEMA,
)
