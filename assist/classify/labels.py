"""The fixed codes of DESIGN.md §16 and their labels.

The labels carry a context: "Other" or "Return" mean other things elsewhere in the product.
"""

from django.db import models
from django.utils.translation import pgettext_lazy


class Topic(models.TextChoices):
    DELIVERY = "delivery", pgettext_lazy("message topic", "Delivery")
    RETURN = "return", pgettext_lazy("message topic", "Return")
    DEFECT = "defect", pgettext_lazy("message topic", "Defect")
    SIZE = "size", pgettext_lazy("message topic", "Size")
    AVAILABILITY = "availability", pgettext_lazy("message topic", "Availability")
    PAYMENT = "payment", pgettext_lazy("message topic", "Payment")
    ORDER_CHANGE = "order_change", pgettext_lazy("message topic", "Order change")
    OTHER = "other", pgettext_lazy("message topic", "Other")


class Sentiment(models.TextChoices):
    NEGATIVE = "negative", pgettext_lazy("message tone", "Negative")
    NEUTRAL = "neutral", pgettext_lazy("message tone", "Neutral")
    POSITIVE = "positive", pgettext_lazy("message tone", "Positive")


TOPICS: tuple[str, ...] = tuple(Topic.values)
SENTIMENTS: tuple[str, ...] = tuple(Sentiment.values)
