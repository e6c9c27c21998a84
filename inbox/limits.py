"""Reply limits, read from each marketplace's spec (kept for the reply code until it reads specs itself)."""

from marketplaces.registry import MARKETPLACE_SPECS, spec_for
from marketplaces.spec import MEGABYTE, NO_FILES, FileLimits

__all__ = ["MEGABYTE", "NO_FILES", "FileLimits", "reply_file_limits", "reply_length_limit"]

DEFAULT_REPLY_LENGTH_LIMIT = 1000


def reply_length_limit(*, marketplace: str) -> int:
    if marketplace not in MARKETPLACE_SPECS:
        return DEFAULT_REPLY_LENGTH_LIMIT
    return spec_for(marketplace).text_limit


def reply_file_limits(*, marketplace: str, chat_kind: str) -> FileLimits:
    if marketplace not in MARKETPLACE_SPECS:
        return NO_FILES
    return spec_for(marketplace).file_limits_for(kind=chat_kind)
