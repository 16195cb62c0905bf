"""Benchmark peer: the master model; ``save()`` commits, then publishes the row to RabbitMQ."""

from __future__ import annotations

from dj_cqrs.mixins import MasterMixin
from django.db import models


class Account(MasterMixin, models.Model):
    """MasterMixin adds ``cqrs_revision`` (the version) and ``cqrs_updated``."""

    CQRS_ID = "account"

    owner = models.CharField(max_length=200)
    balance = models.DecimalField(max_digits=20, decimal_places=2)

    class Meta:
        db_table = "account"

    def __str__(self) -> str:
        return f"{self.owner} ({self.balance})"
