from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SandboxConfig(AppConfig):
    """Test equipment: fake marketplaces for the demo, end-to-end tests and benchmarks.

    Never installed by production settings (see SANDBOX_ENABLED in chatcenter/settings.py).
    """

    name = "sandbox"
    verbose_name = _("Marketplace sandbox")
