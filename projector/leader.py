"""Sync engine: one active projector — a lease row in MySQL, renewed by heartbeat, used as a fence.

A standby polls ``try_acquire``; it wins once the holder's lease has expired (crash) or was
released (clean stop). Every projection transaction first locks the lease row and checks it is
still ours (``assert_held``), so a projector that lost its lease cannot commit a batch. Lease
times come from the projectors' clocks; they only need to agree within a fraction of the TTL.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.utils import timezone

from projector.models import ProjectorLease

logger = logging.getLogger(__name__)

PROJECTOR_LEASE = "projector"


class LeaseLostError(RuntimeError):
    """This projector no longer holds the leader lease."""


@dataclass(frozen=True)
class LeaderLease:
    owner: str
    ttl: timedelta
    name: str = PROJECTOR_LEASE

    def try_acquire(self) -> bool:
        """Take the lease if it is free, expired or already ours; True when we hold it."""
        now = timezone.now()
        with transaction.atomic():
            ProjectorLease.objects.get_or_create(name=self.name)
            lease = ProjectorLease.objects.select_for_update().get(name=self.name)
            free = not lease.owner or lease.expires_at is None or lease.expires_at < now
            if lease.owner != self.owner and not free:
                return False
            if lease.owner != self.owner:
                logger.info(
                    "leader lease %s acquired by %s (previous holder: %s)",
                    self.name,
                    self.owner,
                    lease.owner or "none",
                )
                lease.owner = self.owner
                lease.acquired_at = now
            lease.heartbeat_at = now
            lease.expires_at = now + self.ttl
            lease.save()
            return True

    def renew(self) -> None:
        """Heartbeat; raise LeaseLostError if someone else holds the lease now."""
        if not self._renew(timezone.now()):
            raise LeaseLostError(f"leader lease {self.name} is no longer held by {self.owner}")

    def _renew(self, now: datetime) -> bool:
        return bool(
            ProjectorLease.objects.filter(name=self.name, owner=self.owner, expires_at__gte=now).update(
                heartbeat_at=now, expires_at=now + self.ttl
            )
        )

    def release(self) -> None:
        released = ProjectorLease.objects.filter(name=self.name, owner=self.owner).update(
            owner="", expires_at=timezone.now()
        )
        if released:
            logger.info("leader lease %s released by %s", self.name, self.owner)

    def assert_held(self) -> None:
        """Inside a transaction: lock the lease row and fail unless it is ours and unexpired.

        Hand-written: it runs in every batch's transaction, before anything else (ADR 0019).
        """
        fields = {field.attname: field for field in ProjectorLease._meta.concrete_fields}
        quote = connection.ops.quote_name
        expires = fields["expires_at"].get_db_prep_value(
            timezone.now(), connection=connection, prepared=False
        )
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT 1 FROM {quote(ProjectorLease._meta.db_table)} "  # noqa: S608
                f"WHERE {quote(fields['name'].column)} = %s AND {quote(fields['owner'].column)} = %s "
                f"AND {quote(fields['expires_at'].column)} >= %s FOR UPDATE",
                [self.name, self.owner, expires],
            )
            held = cursor.fetchone() is not None
        if not held:
            raise LeaseLostError(f"leader lease {self.name} is no longer held by {self.owner}")
