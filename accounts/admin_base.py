"""Admin building blocks that keep every page in the user's language.

Django's admin labels a column, filter or read-only field with the model field's verbose name, and counts
objects as "{count} {verbose_name_plural}", which fits English only (Russian needs three plural forms).
"""

from collections.abc import Callable
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.actions import delete_selected as django_delete_selected
from django.contrib.admin.utils import display_for_field
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet, URLField
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext

EMPTY = "—"


def titled_filter(title: Any, base: type[admin.FieldListFilter] = admin.ChoicesFieldListFilter) -> type:
    """A field filter with our own (translated) title, for fields whose verbose name is not one."""

    class TitledFilter(base):  # type: ignore[valid-type, misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.title = title

    return TitledFilter


def field_column(name: str, label: Any) -> Callable[[Model], Any]:
    """A model field shown under a translated label, formatted as the admin formats that field."""

    def column(obj: Model) -> Any:
        field = obj._meta.get_field(name)
        return display_for_field(getattr(obj, name), field, EMPTY)

    column.short_description = label  # type: ignore[attr-defined]
    column.admin_order_field = name  # type: ignore[attr-defined]
    column.__name__ = f"{name}_column"
    return column


@admin.action(permissions=["delete"], description=django_delete_selected.short_description)
def delete_selected(
    modeladmin: "TranslatedAdmin", request: HttpRequest, queryset: QuerySet
) -> HttpResponse | None:
    """Django's bulk delete, except that the confirmation message counts in the right plural form
    (Django's says "Успешно удалены 3 кабинеты маркетплейсов")."""
    if request.POST.get("post"):
        _deletable, _counts, perms_needed, protected = modeladmin.get_deleted_objects(queryset, request)
        if not protected:
            if perms_needed:
                raise PermissionDenied
            count = len(queryset)
            if count:
                modeladmin.log_deletions(request, queryset)
                modeladmin.delete_queryset(request, queryset)
                text = gettext("Deleted: %(objects)s.") % {"objects": modeladmin.result_count_text(count)}
                modeladmin.message_user(request, text, messages.SUCCESS)
            return None
    # The confirmation page (and the "cannot delete" page) stay Django's.
    return django_delete_selected(modeladmin, request, queryset)


class TranslatedAdmin(admin.ModelAdmin):
    """Plural-correct counts (`count_phrase`, see templates/admin/<app>/pagination.html) and translated labels
    for model fields without a verbose name (`field_labels`) on read-only change pages."""

    count_phrase: Any = None
    field_labels: dict[str, Any] = {}
    actions = [delete_selected]
    # A link typed without a scheme is taken as https (Django 6.0's default; 5.x warns on every form).
    formfield_overrides = {URLField: {"assume_scheme": "https"}}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # One callable per field for the admin's lifetime: Django compares field entries by identity.
        self.labelled_columns = {name: field_column(name, label) for name, label in self.field_labels.items()}

    def get_fields(self, request: HttpRequest, obj: Any = None) -> list:
        return [self.labelled_columns.get(name, name) for name in super().get_fields(request, obj)]

    def result_count_text(self, count: int) -> str:
        if self.count_phrase is None:
            name = self.opts.verbose_name if count == 1 else self.opts.verbose_name_plural
            return f"{count} {name}"
        return str(self.count_phrase % {"count": count})


def model_count_text(*, model_admin: admin.ModelAdmin, model: type[Model], count: int) -> str:
    """The changelist's "N objects" for any model admin, ours or Django's."""
    if isinstance(model_admin, TranslatedAdmin):
        return model_admin.result_count_text(count)
    name = model._meta.verbose_name if count == 1 else model._meta.verbose_name_plural
    return f"{count} {name}"
