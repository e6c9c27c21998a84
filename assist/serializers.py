from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from marketplaces.registry import marketplace_specs


class ComplianceCheckRequestSerializer(serializers.Serializer):
    # Whitespace is part of the text (offsets count it; "   " is the `empty` violation, not a 400).
    # No length limit here: a text past every marketplace's limit is the check's `too_long` (DESIGN.md §14).
    text = serializers.CharField(allow_blank=True, trim_whitespace=False)
    chat = serializers.IntegerField(required=False, min_value=1)
    marketplace = serializers.ChoiceField(
        required=False, choices=[(spec.name, spec.label) for spec in marketplace_specs()]
    )

    def validate(self, attrs: dict) -> dict:
        if "chat" not in attrs and "marketplace" not in attrs:
            message = _("Give a chat ID or a marketplace.")
            raise serializers.ValidationError({"chat": [message], "marketplace": [message]})
        return attrs


class ViolationSerializer(serializers.Serializer):
    rule = serializers.CharField()
    severity = serializers.ChoiceField(choices=["block", "warn"])
    message = serializers.CharField()
    start = serializers.IntegerField(help_text="Code-point offset into `text` (inclusive).")
    end = serializers.IntegerField(help_text="Code-point offset into `text` (exclusive).")


class ComplianceCheckResponseSerializer(serializers.Serializer):
    allowed = serializers.BooleanField(help_text="False exactly when a `block` violation is present.")
    violations = ViolationSerializer(many=True)
