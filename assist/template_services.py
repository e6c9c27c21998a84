"""Reply templates: who sees which, search with Russian word forms, create/change/delete, use."""

from dataclasses import dataclass
from pathlib import PurePath

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils.translation import gettext as _

from accounts.selectors import account_list_for_user
from assist.compliance.text import analyse
from assist.models import ReplyTemplate
from assist.variables import template_variables_check
from audit.models import AuditEvent
from audit.services import audit_record
from inbox.models import Chat
from marketplaces.registry import MARKETPLACE_SPECS, spec_for
from marketplaces.spec import FileLimits

TEAM_PERMISSION = "assist.add_replytemplate"
SEARCH_LIMIT = 20


def user_manages_team_templates(*, user: AbstractBaseUser) -> bool:
    return bool(user.is_active and (user.is_superuser or user.has_perm(TEAM_PERMISSION)))


def template_list_for_user(*, user: AbstractBaseUser) -> QuerySet[ReplyTemplate]:
    """The user's own templates and the team's templates for cabinets they work."""
    accounts = account_list_for_user(user=user)
    marketplaces = set(accounts.values_list("marketplace", flat=True))
    visible_scope = (
        Q(scope=ReplyTemplate.Scope.ALL)
        | Q(scope=ReplyTemplate.Scope.MARKETPLACE, marketplace__in=marketplaces)
        | Q(scope=ReplyTemplate.Scope.ACCOUNT, account__in=accounts)
    )
    return ReplyTemplate.objects.filter(Q(owner=user) | (Q(owner__isnull=True) & visible_scope))


def template_list_for_chat(*, user: AbstractBaseUser, chat: Chat) -> QuerySet[ReplyTemplate]:
    applies = (
        Q(scope=ReplyTemplate.Scope.ALL)
        | Q(scope=ReplyTemplate.Scope.MARKETPLACE, marketplace=chat.account.marketplace)
        | Q(scope=ReplyTemplate.Scope.ACCOUNT, account_id=chat.account_id)
    )
    return template_list_for_user(user=user).filter(applies)


def _lemmas(text: str) -> set[str]:
    words = "".join(character if character.isalnum() else " " for character in text.lower()).split()
    return {analyse(word)[1] for word in words if len(word) > 1}


def template_search(*, templates: QuerySet[ReplyTemplate], query: str) -> list[ReplyTemplate]:
    """Rank by shortcut, then by how many of the query's word forms the title and text share."""
    query = query.strip().lstrip("/")
    candidates = list(templates.order_by("-usage_count", "title")[:500])
    if not query:
        return candidates[:SEARCH_LIMIT]
    wanted = _lemmas(query)
    folded = query.lower()
    scored = []
    for template in candidates:
        score = 0.0
        if template.shortcut and template.shortcut.lower().startswith(folded):
            score += 100
        title = _lemmas(template.title)
        body = _lemmas(template.text)
        score += 3 * len(wanted & title) + len(wanted & body)
        # A word still being typed matches the beginning of a word ("возв" -> "возврат").
        if not score and any(word.startswith(folded) for word in title | body):
            score += 0.5
        if score:
            scored.append((score, template.usage_count, template))
    scored.sort(key=lambda item: (-item[0], -item[1], item[2].title))
    return [template for _score, _usage, template in scored[:SEARCH_LIMIT]]


@dataclass(frozen=True)
class TemplateInput:
    title: str
    text: str
    shortcut: str = ""
    folder: str = ""
    scope: str = ReplyTemplate.Scope.ALL
    marketplace: str = ""
    account_id: int | None = None
    team: bool = False


def _file_limits_for(template: TemplateInput) -> list[FileLimits]:
    if template.scope == ReplyTemplate.Scope.ALL:
        return [spec.file_limits for spec in MARKETPLACE_SPECS.values()]
    return [spec_for(template.marketplace).file_limits]


def _check_file(*, upload: UploadedFile, data: TemplateInput) -> None:
    extension = PurePath(upload.name or "").suffix.lower()
    for limits in _file_limits_for(data):
        if not limits.supported:
            raise ValidationError({"file": _("This marketplace takes no files in replies.")})
        if upload.size > limits.max_bytes:
            raise ValidationError(
                {"file": _("The file is larger than %(size)s MB.") % {"size": limits.max_megabytes}}
            )
        if limits.extensions and extension not in limits.extensions:
            raise ValidationError(
                {
                    "file": _("Allowed file types: %(types)s.")
                    % {"types": ", ".join(sorted(limits.extensions))}
                }
            )
        if limits.needs_extension and not extension:
            raise ValidationError({"file": _("The file name needs an extension.")})


def _validate(*, user: AbstractBaseUser, data: TemplateInput) -> TemplateInput:
    errors: dict[str, str] = {}
    if not data.title.strip():
        errors["title"] = _("Give the template a title.")
    if not data.text.strip():
        errors["text"] = _("Write the template's text.")
    unknown = template_variables_check(text=data.text)
    if unknown:
        errors["text"] = _("Unknown variables: %(names)s.") % {
            "names": ", ".join(f"{{{{{name}}}}}" for name in unknown)
        }
    marketplace = data.marketplace
    if data.scope == ReplyTemplate.Scope.MARKETPLACE and marketplace not in MARKETPLACE_SPECS:
        errors["marketplace"] = _("Choose a marketplace.")
    if data.scope == ReplyTemplate.Scope.ACCOUNT:
        account = account_list_for_user(user=user).filter(pk=data.account_id).first()
        if account is None:
            errors["account"] = _("Choose one of your cabinets.")
        else:
            marketplace = account.marketplace
    if data.team and not user_manages_team_templates(user=user):
        errors["team"] = _("Only administrators make templates for the whole team.")
    if errors:
        raise ValidationError(errors)
    return TemplateInput(
        title=data.title.strip()[:200],
        text=data.text,
        shortcut=data.shortcut.strip().lstrip("/")[:50],
        folder=data.folder.strip()[:100],
        scope=data.scope,
        marketplace=marketplace if data.scope != ReplyTemplate.Scope.ALL else "",
        account_id=data.account_id if data.scope == ReplyTemplate.Scope.ACCOUNT else None,
        team=data.team,
    )


def template_create(
    *, user: AbstractBaseUser, data: TemplateInput, upload: UploadedFile | None = None
) -> ReplyTemplate:
    cleaned = _validate(user=user, data=data)
    if upload is not None:
        _check_file(upload=upload, data=cleaned)
    template = ReplyTemplate(
        title=cleaned.title,
        text=cleaned.text,
        shortcut=cleaned.shortcut,
        folder=cleaned.folder,
        scope=cleaned.scope,
        marketplace=cleaned.marketplace,
        account_id=cleaned.account_id,
        owner=None if cleaned.team else user,
        created_by=user,
    )
    if upload is not None:
        template.file_name = (upload.name or "file")[:255]
        template.file_content_type = (upload.content_type or "application/octet-stream")[:100]
        template.file.save(template.file_name, upload, save=False)
    template.save()
    audit_record(
        actor=user, action=AuditEvent.Action.TEMPLATE_CHANGED, target=template, details={"change": "created"}
    )
    return template


def _may_change(*, user: AbstractBaseUser, template: ReplyTemplate) -> bool:
    if template.owner_id is not None:
        return template.owner_id == user.pk
    return user_manages_team_templates(user=user)


def template_update(
    *, user: AbstractBaseUser, template: ReplyTemplate, changes: dict[str, object]
) -> ReplyTemplate:
    if not _may_change(user=user, template=template):
        raise PermissionDenied(_("Only the author or an administrator may change this template."))
    account = changes.get("account", template.account_id)
    data = TemplateInput(
        title=str(changes.get("title", template.title)),
        text=str(changes.get("text", template.text)),
        shortcut=str(changes.get("shortcut", template.shortcut)),
        folder=str(changes.get("folder", template.folder)),
        scope=str(changes.get("scope", template.scope)),
        marketplace=str(changes.get("marketplace", template.marketplace)),
        account_id=int(str(account)) if account not in (None, "") else None,
        team=template.owner_id is None,
    )
    cleaned = _validate(user=user, data=data)
    for name in ("title", "text", "shortcut", "folder", "scope", "marketplace", "account_id"):
        setattr(template, name, getattr(cleaned, name))
    template.save()
    audit_record(
        actor=user,
        action=AuditEvent.Action.TEMPLATE_CHANGED,
        target=template,
        details={"change": "updated", "fields": sorted(changes)},
    )
    return template


def template_delete(*, user: AbstractBaseUser, template: ReplyTemplate) -> None:
    if not _may_change(user=user, template=template):
        raise PermissionDenied(_("Only the author or an administrator may delete this template."))
    with transaction.atomic():
        audit_record(
            actor=user,
            action=AuditEvent.Action.TEMPLATE_CHANGED,
            target=template,
            details={"change": "deleted"},
        )
        if template.file:
            template.file.delete(save=False)
        template.delete()


def template_used(*, template: ReplyTemplate) -> None:
    ReplyTemplate.objects.filter(pk=template.pk).update(usage_count=F("usage_count") + 1)


def template_file_upload(*, user: AbstractBaseUser, chat: Chat, template_id: str) -> UploadedFile | None:
    """The file of a template inserted into a reply, as an upload the reply's file checks then judge.

    None when the template has no file; ValidationError keyed "file" when it is not one of the user's
    templates for this chat.
    """
    if not str(template_id).isdigit():
        return None
    template = template_list_for_chat(user=user, chat=chat).filter(pk=int(template_id)).first()
    if template is None:
        raise ValidationError({"file": _("This template is not available in this chat.")})
    if not template.file:
        return None
    with template.file.open("rb") as stored:
        content = stored.read()
    return SimpleUploadedFile(template.file_name, content, content_type=template.file_content_type)
