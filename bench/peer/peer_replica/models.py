"""Benchmark peer: the replica model, written only by django-cqrs' consumer."""

from __future__ import annotations

from dj_cqrs.mixins import ReplicaMixin
from django.db import models


class AccountReplica(ReplicaMixin, models.Model):
    """ReplicaMixin adds ``cqrs_revision`` and ``cqrs_updated`` (copied from the master)."""

    CQRS_ID = "account"

    id = models.IntegerField(primary_key=True)
    owner = models.CharField(max_length=200)
    balance = models.DecimalField(max_digits=20, decimal_places=2)

    class Meta:
        db_table = "account"

    def __str__(self) -> str:
        return f"{self.owner} ({self.balance})"
