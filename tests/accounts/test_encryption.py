import json

import pytest
from cryptography.fernet import InvalidToken
from django.core.management import call_command
from django.db import connection
from django.test import override_settings

from accounts.models import MarketplaceAccount
from tests.conftest import CREDENTIALS


def raw_credentials(account_id: int) -> bytes:
    with connection.cursor() as cursor:
        cursor.execute("SELECT credentials FROM accounts_marketplaceaccount WHERE id = %s", [account_id])
        return bytes(cursor.fetchone()[0])


@pytest.mark.django_db
def test_credentials_are_ciphertext_in_the_database_and_plaintext_on_the_model(make_account):
    account = make_account("ozon")
    raw = raw_credentials(account.pk)
    assert CREDENTIALS["ozon"]["api_key"].encode() not in raw
    assert b"client_id" not in raw
    assert raw.startswith(b"gAAAAA")  # Fernet token version byte, base64
    assert MarketplaceAccount.objects.get(pk=account.pk).credentials == CREDENTIALS["ozon"]


@pytest.mark.django_db
def test_old_rows_decrypt_after_a_new_key_is_added_and_rotation_re_encrypts(make_account):
    with override_settings(FERNET_KEYS=["old-key"]):
        account = make_account("yandex_market")
        encrypted_with_old = raw_credentials(account.pk)

    with override_settings(FERNET_KEYS=["new-key", "old-key"]):
        assert MarketplaceAccount.objects.get(pk=account.pk).credentials == CREDENTIALS["yandex_market"]
        call_command("rotate_credentials", stdout=open("/dev/null", "w"))  # noqa: SIM115
        rotated = raw_credentials(account.pk)
        assert rotated != encrypted_with_old

    with override_settings(FERNET_KEYS=["new-key"]):
        assert MarketplaceAccount.objects.get(pk=account.pk).credentials == CREDENTIALS["yandex_market"]

    with override_settings(FERNET_KEYS=["old-key"]), pytest.raises(InvalidToken):
        MarketplaceAccount.objects.get(pk=account.pk)


@pytest.mark.django_db
def test_dumpdata_never_writes_plaintext_credentials(make_account, capsys):
    make_account("wildberries")
    call_command("dumpdata", "accounts.marketplaceaccount")
    output = capsys.readouterr().out
    assert CREDENTIALS["wildberries"]["token"] not in output
    assert json.loads(output)[0]["fields"]["credentials"] == ""
