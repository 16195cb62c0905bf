"""Delivery: `manage.py ensure_mongo` — verify MongoDB is a replica set and create the write indexes."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from pymongo.errors import PyMongoError

from accounts_write.adapters.indexes import ensure_collections_and_indexes
from accounts_write.adapters.replica_set import NotAReplicaSetError, require_replica_set
from config.mongo import mongo_client, write_database


class Command(BaseCommand):
    help = (
        "Check that MONGO_URL points at a MongoDB replica set and create the write side's "
        "collections and indexes (idempotent; run at start-up)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            set_name = require_replica_set(mongo_client())
            created = ensure_collections_and_indexes(write_database())
        except NotAReplicaSetError as exc:
            raise CommandError(str(exc)) from exc
        except PyMongoError as exc:
            raise CommandError(
                f"MongoDB at MONGO_URL could not be prepared ({type(exc).__name__}: {exc})"
            ) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"MongoDB replica set {set_name!r} ready; database {settings.MONGO_DB!r} has indexes "
                f"{', '.join(sorted(created))}"
            )
        )
