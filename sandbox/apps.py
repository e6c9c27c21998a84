from django.apps import AppConfig


class SandboxConfig(AppConfig):
    """Test equipment: fake marketplaces for the demo, end-to-end tests and benchmarks.

    Never installed by production settings (see SANDBOX_ENABLED in chatcenter/settings.py).
    """

    name = "sandbox"
    # No models, so never shown in admin: no translation needed.
    verbose_name = "Marketplace sandbox"
