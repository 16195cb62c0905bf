"""Delivery: the demo page's fault buttons that use the operations — poison an account (and cure it),
retry or skip its dead letter, corrupt a read row, reconcile (and fix), replay everything.

They exist only where ``DEMO_FAULTS`` is on (404 otherwise, like pause/resume). Each answers in
words next to its buttons: htmx gets the live part back (timeline or sync strip) with the answer,
a browser without JavaScript a small page with the answer and a link back. Nothing here is a 500:
an unavailable database, a busy replay or a bad request is said in words (ADR 0022).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import wraps
from typing import Any

from django.conf import settings
from django.db import DatabaseError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_POST
from pymongo.errors import PyMongoError

from config.selection import selected_account
from projector import deadletters
from projector.bootstrap import accounts_collection, outbox_store
from projector.control import set_poisoned
from projector.demo_faults import corrupt_read_row
from projector.demo_replay import BACKGROUND, ReplayStoppedError
from projector.outbox import OutboxStore
from projector.reconcile import ReconcileResult, reconcile, reconcile_and_fix, store_report
from projector.replay import ReplayBusyError
from projector.views import sync_strip_context, timeline_context

logger = logging.getLogger(__name__)

View = Callable[..., HttpResponse]
CHOOSE_FIRST = "Choose an account first (click its owner's name in either pane)."


@dataclass(frozen=True)
class FaultAnswer:
    text: str
    ok: bool = True
    at: datetime = field(default_factory=timezone.now)


def demo_fault(view: View) -> View:
    """POST only, and only where the fault buttons are on."""

    @require_POST
    @wraps(view)
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not settings.DEMO_FAULTS:
            raise Http404("The fault buttons are off (DEMO_FAULTS is not set).")
        return view(request, *args, **kwargs)

    return guarded


def unavailable(exc: Exception) -> FaultAnswer:
    database = "MongoDB" if isinstance(exc, PyMongoError) else "MySQL"
    return FaultAnswer(
        f"{database} cannot be reached right now ({exc.__class__.__name__}): try again.", False
    )


def operator(request: HttpRequest) -> str:
    user = getattr(request, "user", None)
    return user.get_username() if user is not None and user.is_authenticated else "demo page"


def in_timeline(request: HttpRequest, answer: FaultAnswer) -> HttpResponse:
    selected = selected_account(request)
    if request.headers.get("HX-Request"):
        context = {**timeline_context(selected), "answer": answer}
        return render(request, "projector/timeline.html", context)
    return render(request, "projector/fault_answer.html", {"answer": answer, "selected": selected})


def in_strip(request: HttpRequest, answer: FaultAnswer) -> HttpResponse:
    if request.headers.get("HX-Request"):
        return render(request, "projector/sync_strip.html", {**sync_strip_context(), "answer": answer})
    context = {"answer": answer, "selected": selected_account(request)}
    return render(request, "projector/fault_answer.html", context)


# --- the selected account: poison, cure, corrupt (answered in the timeline) -----------------------


@demo_fault
def poison(request: HttpRequest) -> HttpResponse:
    account_id = selected_account(request)
    if account_id is None:
        return in_timeline(request, FaultAnswer(CHOOSE_FIRST, False))
    try:
        previous = set_poisoned(account_id)
    except DatabaseError as exc:
        return in_timeline(request, unavailable(exc))
    text = (
        "Poisoned: the projector now fails this account's next event. Deposit twice: the first "
        f"deposit fails, goes dead after {settings.PROJECTOR_MAX_ATTEMPTS} attempts, and the second "
        "waits parked behind it."
    )
    if previous is not None and previous != account_id:
        text += f" Account {str(previous)[:8]} is no longer poisoned."
    return in_timeline(request, FaultAnswer(text))


@demo_fault
def cure(request: HttpRequest) -> HttpResponse:
    try:
        previous = set_poisoned(None)
    except DatabaseError as exc:
        return in_timeline(request, unavailable(exc))
    if previous is None:
        return in_timeline(request, FaultAnswer("No account is poisoned: nothing to cure."))
    return in_timeline(
        request,
        FaultAnswer(
            f"Cured: the projector applies the events of account {str(previous)[:8]} again. "
            "A dead letter stays dead until you retry it."
        ),
    )


@demo_fault
def corrupt(request: HttpRequest) -> HttpResponse:
    account_id = selected_account(request)
    if account_id is None:
        return in_timeline(request, FaultAnswer(CHOOSE_FIRST, False))
    try:
        done = corrupt_read_row(account_id)
    except DatabaseError as exc:
        return in_timeline(request, unavailable(exc))
    if done is None:
        return in_timeline(
            request, FaultAnswer("The read side has no row for this account yet: nothing to corrupt.", False)
        )
    return in_timeline(
        request,
        FaultAnswer(
            f"Corrupted the read row behind the projector's back: balance {done.balance_before:.2f} → "
            f"{done.balance_after:.2f}, owner “{done.owner_before}” → “{done.owner_after}”. The write "
            "side is unchanged: Reconcile finds the drift, Reconcile and fix repairs it."
        ),
    )


# --- a dead letter: retry or skip (answered in the timeline) ------------------------------------


@demo_fault
def retry(request: HttpRequest, event_id: uuid.UUID) -> HttpResponse:
    by = operator(request)
    return in_timeline(
        request, _dead_letter_action(lambda outbox: deadletters.retry(outbox, event_id, by=by))
    )


@demo_fault
def skip(request: HttpRequest, event_id: uuid.UUID) -> HttpResponse:
    reason, by = request.POST.get("reason", "").strip(), operator(request)
    if not reason:
        text = "Skip: give a reason (it is kept in the audit trail and shown on the account)."
        return in_timeline(request, FaultAnswer(text, False))
    return in_timeline(
        request,
        _dead_letter_action(lambda outbox: deadletters.skip(outbox, event_id, reason=reason, by=by)),
    )


def _dead_letter_action(action: Callable[[OutboxStore], deadletters.ActionResult]) -> FaultAnswer:
    try:
        result = action(outbox_store())
    except deadletters.DeadLetterError as exc:
        return FaultAnswer(f"Nothing done: {exc}.", False)
    except (PyMongoError, DatabaseError) as exc:
        return unavailable(exc)
    return describe_action(result)


def describe_action(result: deadletters.ActionResult) -> FaultAnswer:
    name = result.action.capitalize()
    released = {0: "no parked event released", 1: "1 parked event released"}.get(
        result.released, f"{result.released} parked events released"
    )
    if not result.succeeded:
        return FaultAnswer(
            f"{name}: failed again: {result.error}. It is retried with backoff; the events parked "
            "behind it stay parked.",
            False,
        )
    if result.status == "done":
        return FaultAnswer(f"{name}: applied; {released}.")
    if result.status == "skipped":
        return FaultAnswer(f"{name}: skipped; {released}. The account is flagged as needing attention.")
    return FaultAnswer(f"{name}: {result.status} (it waits for an earlier event of its account); {released}.")


# --- every account: reconcile, replay (answered in the sync strip) ------------------------------


@demo_fault
def reconcile_accounts(request: HttpRequest) -> HttpResponse:
    fix = request.POST.get("fix") == "1"
    scope = request.POST.get("scope", "all")
    account_id = selected_account(request) if scope == "selected" else None
    if scope not in ("all", "selected"):
        text = f"Unknown scope {scope!r}: check all accounts or the selected one."
        return in_strip(request, FaultAnswer(text, False))
    if scope == "selected" and account_id is None:
        return in_strip(request, FaultAnswer(CHOOSE_FIRST, False))
    check = reconcile_and_fix if fix else reconcile
    try:
        result = check(accounts_collection(), outbox_store(), account_id=account_id)
        store_report(result, scope=str(account_id or "all"), trigger="demo")
    except (PyMongoError, DatabaseError) as exc:
        return in_strip(request, unavailable(exc))
    return in_strip(request, describe_reconcile(result, fix, account_id))


def describe_reconcile(result: ReconcileResult, fix: bool, account_id: uuid.UUID | None) -> FaultAnswer:
    scope = f"account {str(account_id)[:8]}" if account_id else "all accounts"
    name = "Reconcile and fix" if fix else "Reconcile"
    drifted = len(result.drifted_accounts)
    counts = f"{result.checked} checked, {drifted} drifted, {len(result.lagging)} lagging"
    if fix:
        return FaultAnswer(
            f"{name} ({scope}): {counts} — {len(result.fixed)} re-projected from their events and now clean.",
            not drifted,
        )
    if drifted:
        return FaultAnswer(f"{name} ({scope}): {counts}. The drift is listed under Last reconcile.")
    return FaultAnswer(f"{name} ({scope}): {counts}. No drift.")


@demo_fault
def replay_all(request: HttpRequest) -> HttpResponse:
    try:
        run = BACKGROUND.start(outbox_store(), started_by=operator(request))
    except ReplayBusyError as exc:
        return in_strip(request, FaultAnswer(f"Replay not started: {exc}.", False))
    except ReplayStoppedError as exc:
        return in_strip(request, FaultAnswer(f"Replay stopped: {exc}. Start it again to resume.", False))
    except (PyMongoError, DatabaseError) as exc:
        return in_strip(request, unavailable(exc))
    if run is None:
        text = (
            "Replay started: it rebuilds every read model into shadow tables while the read side keeps "
            "answering, then swaps them in. Progress under Last replay."
        )
    else:
        text = (
            f"Replay {run.pk} done: {run.events_seen} events read, {run.events_applied} applied; swapped in."
        )
    return in_strip(request, FaultAnswer(text))
