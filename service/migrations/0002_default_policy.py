from datetime import time

from django.db import migrations

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def create_default_policy(apps, schema_editor):
    SlaPolicy = apps.get_model("service", "SlaPolicy")
    if SlaPolicy.objects.filter(account__isnull=True).exists():
        return
    hours = {}
    for day in WEEKDAYS:
        hours[f"{day}_opens"] = time(0)
        hours[f"{day}_closes"] = time(0)
    SlaPolicy.objects.create(
        name="По умолчанию",
        first_response_minutes=60,
        next_response_minutes=60,
        time_zone="Europe/Moscow",
        observe_production_calendar=False,
        **hours,
    )


class Migration(migrations.Migration):
    dependencies = [("service", "0001_initial")]

    operations = [migrations.RunPython(create_default_policy, migrations.RunPython.noop)]
