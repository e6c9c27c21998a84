from django.conf import settings

from privacy.services import personal_data_purge


def personal_data_purge_daily() -> int:
    """django-q2 daily entry point: a no-op while PERSONAL_DATA_RETENTION_DAYS is unset."""
    days = settings.PERSONAL_DATA_RETENTION_DAYS
    if not days:
        return 0
    return personal_data_purge(older_than_days=days).chats
