from django import forms
from django.utils.translation import gettext_lazy as _

from notify.models import NotificationSettings
from notify.services.preferences import EDITABLE_FIELDS


class NotificationSettingsForm(forms.ModelForm):
    class Meta:
        model = NotificationSettings
        fields = EDITABLE_FIELDS
        # The profile page shows each channel's fields in a fieldset whose legend names the channel (and
        # quiet hours under their own), so these labels leave it out; the models keep it for the admin.
        labels = {
            "telegram_new_messages": _("New buyer messages"),
            "telegram_sla": _("Reply deadlines"),
            "telegram_reply_failed": _("My reply not delivered"),
            "telegram_sync_failing": _("Cabinet sync failing"),
            "email_new_messages": _("New buyer messages"),
            "email_sla": _("Reply deadlines"),
            "email_reply_failed": _("My reply not delivered"),
            "email_sync_failing": _("Cabinet sync failing"),
            "email_daily_digest": _("Daily digest"),
            "browser_enabled": _("Desktop notifications"),
            "browser_sound": _("Sound"),
            "quiet_hours_start": _("From"),
            "quiet_hours_end": _("Until"),
        }
        widgets = {
            "quiet_hours_start": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "quiet_hours_end": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        }
