"""Stand-in commands: documents about to be stored — _id first, and the 16 MiB BSON size limit."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import bson
from bson import ObjectId

from tests.mongo_standin.errors import BadValueError, CommandError
from tests.mongo_standin.wire import CODEC

if TYPE_CHECKING:
    from tests.mongo_standin.commands import Context

MAX_USER_DOCUMENT = 16 * 1024 * 1024  # BSONObjMaxUserSize


def check_insert_size(ctx: Context, doc: dict[str, Any]) -> None:
    # Only a message larger than the limit can carry a document larger than it: skip the encode.
    if ctx.conn.message_size > MAX_USER_DOCUMENT:
        size = len(bson.encode(doc, codec_options=CODEC))
        if size > MAX_USER_DOCUMENT:
            raise BadValueError(
                f"object to insert too large. size in bytes: {size}, max size: {MAX_USER_DOCUMENT}"
            )


def check_updated_size(doc: dict[str, Any]) -> None:
    if len(bson.encode(doc, codec_options=CODEC)) > MAX_USER_DOCUMENT:
        raise CommandError(f"Resulting document after update is larger than {MAX_USER_DOCUMENT}", code=17419)


def prepare_new_document(doc: Any) -> dict[str, Any]:
    if not isinstance(doc, dict):
        raise BadValueError("document to insert must be an object", code=14)
    if "_id" not in doc:
        return {"_id": ObjectId(), **doc}
    if isinstance(doc["_id"], list):
        raise BadValueError("The '_id' value cannot be of type array", code=53)
    if next(iter(doc)) != "_id":
        return {"_id": doc["_id"], **{k: v for k, v in doc.items() if k != "_id"}}
    return doc
