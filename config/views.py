"""Delivery: the demo page's shell — places each side's parts on one page (composition root).

Every part is rendered by its own app (write side, read side, sync engine); this module only puts
them together, for the first render and for a form sent without JavaScript. With JavaScript the
parts refresh themselves every ``REFRESH_MS`` (htmx polling, ADR 0015).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from accounts_read.views import read_pane_context
from accounts_write.forms import FORMS
from accounts_write.views import commands_context, run_command_form, write_pane_context
from config.selection import selected_account
from projector.views import sync_strip_context, timeline_context

REFRESH_MS = 500
# A part holding the keyboard focus (a link, a button) waits: a swap would throw the focus away.
# demo.js holds its request back; an htmx filter expression would need eval, which the
# Content-Security-Policy forbids.
REFRESH_TRIGGER = f"every {REFRESH_MS}ms"


def page_context(selected: UUID | None, commands: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        **write_pane_context(selected),
        **read_pane_context(selected),
        **sync_strip_context(),
        **timeline_context(selected),
        **(commands if commands is not None else commands_context(selected)),
        "selected": selected,
        "refresh": REFRESH_TRIGGER,
        "metrics_open": not settings.METRICS_TOKEN,
    }


@require_GET
def demo_page(request: HttpRequest) -> HttpResponse:
    """``/``: write side and read side side by side, the sync between them, the forms, the timeline."""
    return render(request, "demo/page.html", page_context(selected_account(request)))


@require_POST
def command(request: HttpRequest, kind: str) -> HttpResponse:
    """A command form sent: htmx gets the commands block back, a plain browser the whole page."""
    form_class = FORMS.get(kind)
    if form_class is None:
        raise Http404(f"There is no {kind!r} command.")
    outcome = run_command_form(request, form_class)
    if not request.headers.get("HX-Request"):
        return render(request, "demo/page.html", page_context(outcome.selected, outcome.context))
    response = render(
        request, "accounts_write/commands.html", {**outcome.context, "reselect": outcome.succeeded}
    )
    if outcome.succeeded:
        # The page now shows the account the command acted on (ledger, timeline, address bar).
        response["HX-Replace-Url"] = f"{reverse('demo')}?account={outcome.selected}"
    return response


def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask every page's host for /favicon.ico; the admin and /metrics name no icon."""
    return HttpResponseRedirect(static("demo/favicon.svg"))
