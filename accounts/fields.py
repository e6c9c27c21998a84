"""Encrypted JSON storage for marketplace credentials."""

import json
from typing import Any

from django.core.signals import setting_changed
from django.db import models
from fernet_fields import EncryptedField


class EncryptedJSONField(EncryptedField, models.TextField):
    """A JSON value encrypted with the newest of FERNET_KEYS; any listed key decrypts."""

    def get_prep_value(self, value: Any) -> str | None:
        if value is None:
            return None
        return json.dumps(value, ensure_ascii=False, sort_keys=True)

    def to_python(self, value: Any) -> Any:
        if isinstance(value, str):
            return json.loads(value)
        return value

    def value_to_string(self, obj: models.Model) -> str:
        # dumpdata must never write plaintext credentials.
        return ""


def reset_cached_keys(**kwargs: Any) -> None:
    """Fernet objects are cached per field; forget them when FERNET_KEYS changes (tests, rotation)."""
    if kwargs.get("setting") not in (None, "FERNET_KEYS"):
        return
    from django.apps import apps

    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if isinstance(field, EncryptedField):
                for attribute in ("keys", "fernet_keys", "fernet"):
                    field.__dict__.pop(attribute, None)


def connect_key_reset() -> None:
    setting_changed.connect(reset_cached_keys, dispatch_uid="accounts.reset_cached_keys")
