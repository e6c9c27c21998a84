"""django-q entry point of the every-minute classification run (scheduled in inbox/services/schedules.py)."""

from .services import messages_classify


def classify_messages() -> dict[str, int]:
    run = messages_classify()
    return {"fresh": run.fresh, "history": run.history, "by_llm": run.by_llm, "fallbacks": run.fallbacks}
