import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def russian():
    """Commands run in the project's language (LANGUAGE_CODE = ru) whatever an earlier test activated."""
    with translation.override("ru"):
        yield
