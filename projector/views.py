"""Delivery: the demo page's sync strip, account timeline and the pause/resume fault buttons.

The fault buttons exist only where ``DEMO_FAULTS`` is on (``make demo``; production refuses it);
the others, which use the operations, are in ``projector.fault_views``.
"""

from __future__ import annotations

import logging
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db import DatabaseError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_POST
from pymongo.errors import PyMongoError

from config.selection import selected_account
from projector.bootstrap import outbox_store
from projector.control import pause_state, set_paused
from projector.demo_faults import last_reconcile
from projector.demo_replay import replay_progress
from projector.status import sync_status
from projector.timeline import account_timeline, recent_events

logger = logging.getLogger(__name__)

RECENT_EVENTS = 5


def sync_strip_context() -> dict[str, Any]:
    outbox = outbox_store()
    context: dict[str, Any] = {"faults": settings.DEMO_FAULTS}
    try:
        context["sync"] = sync_status(outbox)
        context["pause"] = pause_state()
        context["last_reconcile"] = last_reconcile()
        context["replay"] = replay_progress(outbox)
    except DatabaseError as exc:
        logger.warning("demo sync strip: the read database cannot be reached: %s", exc)
        context["sync_error"] = "MySQL cannot be reached right now: nothing can be projected."
        return context
    try:
        context["recent_events"] = recent_events(outbox, RECENT_EVENTS)
    except PyMongoError as exc:
        logger.warning("demo sync strip: MongoDB cannot be reached: %s", exc)
    return context


def timeline_context(selected: UUID | None) -> dict[str, Any]:
    context: dict[str, Any] = {"selected": selected, "faults": settings.DEMO_FAULTS}
    if selected is None:
        return context
    try:
        if settings.DEMO_FAULTS:
            context["poisoned"] = pause_state().poisoned_account
        context["timeline"] = account_timeline(outbox_store(), selected)
    except PyMongoError as exc:
        logger.warning("demo timeline: MongoDB cannot be reached: %s", exc)
        context["timeline_error"] = "MongoDB cannot be reached right now: the outbox cannot be read."
    except DatabaseError as exc:
        logger.warning("demo timeline: the read database cannot be reached: %s", exc)
        context["timeline_error"] = "MySQL cannot be reached right now: the read version is unknown."
    return context


def sync_strip(request: HttpRequest) -> HttpResponse:
    """The sync strip's live part (polled by the page)."""
    return render(request, "projector/sync_strip.html", sync_strip_context())


def timeline(request: HttpRequest) -> HttpResponse:
    """The account timeline's live part (polled by the page)."""
    return render(request, "projector/timeline.html", timeline_context(selected_account(request)))


def _switch(request: HttpRequest, paused: bool) -> HttpResponse:
    if not settings.DEMO_FAULTS:
        raise Http404("The fault buttons are off (DEMO_FAULTS is not set).")
    try:
        set_paused(paused)
    except DatabaseError as exc:  # the strip says MySQL is away; the switch is as it was
        logger.warning("demo: the projector could not be %s: %s", "paused" if paused else "resumed", exc)
    if request.headers.get("HX-Request"):
        return sync_strip(request)
    return HttpResponseRedirect(reverse("demo"))


@require_POST
def pause(request: HttpRequest) -> HttpResponse:
    return _switch(request, True)


@require_POST
def resume(request: HttpRequest) -> HttpResponse:
    return _switch(request, False)
