"""The replies tests use the scripted connector of the sync tests (no HTTP anywhere)."""

from tests.sync.conftest import FakeConnector, enqueued, fake_connector, remote_message  # noqa: F401
