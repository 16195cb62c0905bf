"""Property: any delivery order, any duplicates, any batch split — the read model ends the same."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts_read.models import AccountView, LedgerLine
from accounts_write.contract import decode_entry
from projector.apply import apply_events
from tests.factories.outbox import AccountHistory

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

AMOUNTS = st.lists(st.integers(min_value=1, max_value=10_000), min_size=1, max_size=12)


def history_of(amounts: list[int]) -> AccountHistory:
    history = AccountHistory()
    history.opened()
    for cents in amounts:
        history.deposited(Decimal(cents) / 100)
    return history


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(amounts=AMOUNTS, data=st.data())
def test_shuffled_duplicated_batches_converge_to_the_in_order_result(amounts, data):
    history = history_of(amounts)
    events = [decode_entry(document) for document in history.documents]
    duplicates = data.draw(st.lists(st.sampled_from(events), max_size=len(events)))
    queue = data.draw(st.permutations(events + duplicates))
    batch_size = data.draw(st.integers(min_value=1, max_value=len(queue)))

    # Deliver in batches; whatever is held back goes to the end of the queue, as a sweep would.
    rounds = 0
    while queue:
        rounds += 1
        assert rounds < 200, "held-back events never drained"
        batch, queue = queue[:batch_size], queue[batch_size:]
        queue += apply_events(batch).held_events

    view = AccountView.objects.get(account_id=history.account_id)
    assert (view.version, view.balance) == (history.version, history.balance)
    lines = LedgerLine.objects.filter(account=view)
    assert sorted(lines.values_list("event_id", flat=True)) == sorted(e.event_id for e in events[1:])
