from django import template

register = template.Library()


@register.filter
def duration_seconds(value: float | None) -> str:
    """Seconds as "1 ч 05 мин" / "12 мин" / "40 с"; an empty statistic as a dash."""
    if value is None:
        return "—"
    seconds = round(value)
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return f"{hours} ч {minutes:02d} мин"
    if minutes:
        return f"{minutes} мин"
    return f"{seconds} с"


@register.filter
def share(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.0f} %"
