"""Moved to inbox/replies/files.py; these names stay importable until every caller imports from there."""

from inbox.replies.files import (  # noqa: F401
    INLINE_IMAGE_TYPES,
    ReplyFile,
    content_type_sniff,
    file_hint,
    file_name_clean,
    file_too_large_message,
    file_type_message,
    reply_file_attachments,
    reply_files_validate,
)
