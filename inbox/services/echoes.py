"""Moved to inbox/replies/reconcile.py; these names stay importable until every caller imports from there."""

from inbox.replies.reconcile import (  # noqa: F401
    echo_attachments_merge,
    file_name_normalise,
    reply_echo_matches,
)
