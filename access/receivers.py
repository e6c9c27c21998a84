from typing import Any

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from access.middleware import two_factor_step_remember


@receiver(user_logged_in, dispatch_uid="access-two-factor-step")
def _logged_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if request is not None and hasattr(request, "session"):
        two_factor_step_remember(request=request, user=user)
