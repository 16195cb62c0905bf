"""Delivery: the MongoDB outbox in the Django admin — changelist, entry page, retry and skip of dead letters.

A ``ModelAdmin`` over the unmanaged ``OutboxEntry`` (no table): its views read MongoDB and render
templates built on the admin's own, so the outbox sits under "Projector" with the admin's login,
CSRF, messages, log and permissions (view: see it; change: retry or skip dead letters). ADR 0013.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from functools import update_wrapper
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import DatabaseError
from django.db.models import QuerySet
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
)
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.views.generic import RedirectView
from pymongo.errors import PyMongoError

from projector import deadletters
from projector.admin_outbox_pages import changelist_context, describe, entry_context
from projector.admin_outbox_query import PAGE_VAR, OutboxFilters, OutboxListing, entry_detail, parse_uuid
from projector.bootstrap import outbox_store
from projector.models import OutboxEntry
from projector.outbox import OutboxStore

TEMPLATES = "admin/projector/outboxentry/"
Action = Callable[[OutboxStore, uuid.UUID, str], deadletters.ActionResult]
View = Callable[..., HttpResponseBase]


class SkipForm(forms.Form):
    reason = forms.CharField(
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text="Kept in the entry's audit trail and shown on the account, which is flagged as "
        "needing attention.",
    )


class OutboxEntryAdmin(admin.ModelAdmin):
    """Read-only except for two actions on dead letters; every view answers from MongoDB."""

    list_per_page = 50

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet[OutboxEntry]:
        return OutboxEntry.objects.none()  # there is no table: nothing may query one

    def get_urls(self) -> list[URLPattern]:
        info = f"{self.opts.app_label}_{self.opts.model_name}"
        change = RedirectView.as_view(pattern_name=f"{self.admin_site.name}:{info}_change")
        return [
            path("", self._wrap(self.changelist_view), name=f"{info}_changelist"),
            path("<path:object_id>/change/", self._wrap(self.change_view), name=f"{info}_change"),
            path("<path:object_id>/retry/", self._wrap(self.retry_view), name=f"{info}_retry"),
            path("<path:object_id>/skip/", self._wrap(self.skip_view), name=f"{info}_skip"),
            path("<path:object_id>/", self._wrap(change)),
        ]

    def _wrap(self, view: View) -> View:
        """As ``ModelAdmin.get_urls`` does: staff login, CSRF and no caching through ``admin_view``."""

        def wrapper(*args: Any, **kwargs: Any) -> HttpResponseBase:
            return self.admin_site.admin_view(view)(*args, **kwargs)

        wrapper.model_admin = self  # type: ignore[attr-defined]
        return update_wrapper(wrapper, view)

    # --- pages ----------------------------------------------------------------------------------
    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        filters = OutboxFilters.from_params(request.GET)
        context = self._context(request, title="Outbox entries")
        try:
            listing = OutboxListing(outbox_store(), filters)
            paginator: Paginator[OutboxEntry] = Paginator(listing, self.list_per_page)  # type: ignore[arg-type]
            page = paginator.get_page(request.GET.get(PAGE_VAR))
            event_types = listing.event_types()
        except PyMongoError as exc:
            return self._unavailable(request, context, exc)
        context.update(changelist_context(request, filters, listing, page, event_types))
        context.update(extra_context or {})
        return TemplateResponse(request, TEMPLATES + "change_list.html", context)

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        event_id = _event_id(object_id)
        context = self._context(request, title="Outbox entry")
        try:
            detail = entry_detail(outbox_store(), event_id)
        except PyMongoError as exc:
            return self._unavailable(request, context, exc)
        if detail is None:
            raise Http404(f"No outbox entry {event_id}.")
        context.update(entry_context(detail))
        context.update(can_act=context["dead"] and self.has_change_permission(request), skip_form=SkipForm())
        context.update(extra_context or {})
        return TemplateResponse(request, TEMPLATES + "entry.html", context)

    # --- actions (POST only, change permission) -------------------------------------------------
    def retry_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        def retry(outbox: OutboxStore, event_id: uuid.UUID, by: str) -> deadletters.ActionResult:
            return deadletters.retry(outbox, event_id, by=by)

        return self._act(request, object_id, "retry", retry)

    def skip_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        if (refusal := self._refusal(request)) is not None:
            return refusal
        event_id = _event_id(object_id)
        form = SkipForm(request.POST)
        if not form.is_valid():
            problems = " ".join(str(error) for errors in form.errors.values() for error in errors)
            messages.error(request, f"Nothing was skipped: a skip needs a reason. {problems}")
            return HttpResponseRedirect(self._entry_url(event_id))
        reason = form.cleaned_data["reason"]

        def skip(outbox: OutboxStore, event_id: uuid.UUID, by: str) -> deadletters.ActionResult:
            return deadletters.skip(outbox, event_id, reason=reason, by=by)

        return self._act(request, object_id, "skip", skip)

    def _refusal(self, request: HttpRequest) -> HttpResponse | None:
        """403 without the change permission (whatever the method), 405 for anything but POST."""
        if not self.has_change_permission(request):
            raise PermissionDenied
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        return None

    def _act(self, request: HttpRequest, object_id: str, action: str, run: Action) -> HttpResponse:
        if (refusal := self._refusal(request)) is not None:
            return refusal
        event_id = _event_id(object_id)
        try:
            outbox = outbox_store()
            document = outbox.get(event_id)
            if document is None:
                raise Http404(f"No outbox entry {event_id}.")
            result = run(outbox, event_id, request.user.get_username())
        except deadletters.DeadLetterError as exc:
            messages.error(request, f"Nothing was done: {exc}. Only a dead letter can be retried or skipped.")
            return HttpResponseRedirect(self._entry_url(event_id))
        except DatabaseError as exc:
            messages.error(
                request,
                f"The {action} of {event_id} could not finish: the read database failed ({exc}). "
                "The entry is no longer dead; the retry sweep applies it when the database is back.",
            )
            return HttpResponseRedirect(self._entry_url(event_id))
        except PyMongoError as exc:
            context = self._context(request, title="Outbox entry")
            return self._unavailable(request, {**context, "action": action}, exc)
        level, text = describe(result)
        messages.add_message(request, level, text)
        self.log_change(request, OutboxEntry.from_document(document), text)
        return HttpResponseRedirect(self._entry_url(event_id))

    # --- helpers --------------------------------------------------------------------------------
    def _context(self, request: HttpRequest, *, title: str) -> dict[str, Any]:
        request.current_app = self.admin_site.name
        return {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": title,
            "has_view_permission": self.has_view_or_change_permission(request),
            "has_change_permission": self.has_change_permission(request),
        }

    def _unavailable(self, request: HttpRequest, context: dict[str, Any], exc: Exception) -> HttpResponse:
        context.update(title="Outbox unavailable", error=f"{type(exc).__name__}: {exc}")
        return TemplateResponse(request, TEMPLATES + "unavailable.html", context, status=503)

    def _entry_url(self, event_id: uuid.UUID) -> str:
        name = f"{self.admin_site.name}:{self.opts.app_label}_{self.opts.model_name}_change"
        return reverse(name, args=[event_id], current_app=self.admin_site.name)


def _event_id(object_id: str) -> uuid.UUID:
    event_id = parse_uuid(object_id)
    if event_id is None:
        raise Http404(f"“{object_id}” is not an event id (a UUID).")
    return event_id
