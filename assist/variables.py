"""Template variables (DESIGN.md §16): filled from the chat; unknown or empty ones are errors, not blanks."""

import re
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.utils.translation import gettext as _

from inbox.models import Chat

VARIABLE = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")
NAMES = ("покупатель", "заказ", "товар", "артикул", "магазин", "сотрудник")


@dataclass(frozen=True)
class RenderProblem:
    variable: str
    message: str
    start: int
    end: int


@dataclass(frozen=True)
class Rendered:
    text: str
    problems: tuple[RenderProblem, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


def _values(*, chat: Chat, user: AbstractBaseUser | None) -> dict[str, str]:
    agent = ""
    if user is not None:
        agent = (getattr(user, "first_name", "") or user.get_full_name() or "").strip()
    return {
        "покупатель": chat.buyer_name.strip(),
        "заказ": chat.order_number.strip(),
        "товар": chat.product_title.strip(),
        "артикул": chat.product_sku.strip(),
        "магазин": chat.account.name.strip(),
        "сотрудник": agent,
    }


def template_render(*, text: str, chat: Chat, user: AbstractBaseUser | None) -> Rendered:
    """Fill the variables; every unknown or empty one is reported with its place in the template."""
    values = _values(chat=chat, user=user)
    problems: list[RenderProblem] = []

    def fill(match: re.Match[str]) -> str:
        name = match.group(1).strip().lower()
        if name not in values:
            problems.append(
                RenderProblem(
                    variable=match.group(1),
                    message=_("Unknown variable {{%(name)s}}. Known: %(known)s.")
                    % {"name": match.group(1), "known": ", ".join(f"{{{{{known}}}}}" for known in NAMES)},
                    start=match.start(),
                    end=match.end(),
                )
            )
            return match.group(0)
        if not values[name]:
            problems.append(
                RenderProblem(
                    variable=name,
                    message=_("This chat has no value for {{%(name)s}}: write it in by hand.")
                    % {"name": name},
                    start=match.start(),
                    end=match.end(),
                )
            )
            return match.group(0)
        return values[name]

    return Rendered(text=VARIABLE.sub(fill, text), problems=tuple(problems))


def template_variables_check(*, text: str) -> list[str]:
    """Unknown variable names in a template's text (checked when it is saved)."""
    return [
        match.group(1) for match in VARIABLE.finditer(text) if match.group(1).strip().lower() not in NAMES
    ]


def template_placeholders_left(*, text: str) -> list[str]:
    """Known variables still unfilled in a reply (an unknown "{{…}}" may be the agent's own text)."""
    return [
        match.group(1).strip() for match in VARIABLE.finditer(text) if match.group(1).strip().lower() in NAMES
    ]
