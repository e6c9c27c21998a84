"""The changelist's "N objects" line with correct plural forms (Russian has three)."""

from typing import Any

from django import template

register = template.Library()


@register.simple_tag
def result_count_text(cl: Any) -> str:
    from accounts.admin_base import model_count_text

    return model_count_text(model_admin=cl.model_admin, model=cl.model, count=cl.result_count)
