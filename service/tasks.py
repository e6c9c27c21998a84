"""django-q2 entry points of the service app."""

from service.deadlines import chat_sla_states_advance


def sla_states_advance() -> int:
    """Every minute: ok -> at_risk -> breached as time passes; closing reply windows."""
    return chat_sla_states_advance()


def ozon_ratings_daily() -> int:
    """Daily: Ozon's own chat ratings of every active Ozon account (failures are recorded, not raised)."""
    from service.ozon_ratings import ozon_ratings_fetch_all

    return ozon_ratings_fetch_all()
