"""Reply limits by marketplace name: kept importable for the views and serializers until they read
`marketplaces.registry.spec_for` (or inbox/replies) directly; the reply code no longer uses this module."""

from marketplaces.registry import MARKETPLACE_SPECS
from marketplaces.spec import MEGABYTE, NO_FILES, FileLimits

__all__ = ["MEGABYTE", "NO_FILES", "FileLimits", "reply_file_limits", "reply_length_limit"]

DEFAULT_REPLY_LENGTH_LIMIT = 1000


def reply_length_limit(*, marketplace: str) -> int:
    spec = MARKETPLACE_SPECS.get(marketplace)
    return DEFAULT_REPLY_LENGTH_LIMIT if spec is None else spec.text_limit


def reply_file_limits(*, marketplace: str, chat_kind: str) -> FileLimits:
    spec = MARKETPLACE_SPECS.get(marketplace)
    return NO_FILES if spec is None else spec.file_limits_for(kind=chat_kind)
