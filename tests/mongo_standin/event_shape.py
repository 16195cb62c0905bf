"""Stand-in change streams: shape a stored event for one stream's options (images, expanded events)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tests.mongo_standin.errors import CommandError
from tests.mongo_standin.storage import id_key

if TYPE_CHECKING:
    from tests.mongo_standin.engine import Engine

INTERNAL = ("expanded", "postImage", "fullDocumentBeforeChange")
EXPANDED_ONLY = ("collectionUUID", "operationDescription")
FULL_DOCUMENT_MODES = ("default", "updateLookup", "whenAvailable", "required")
BEFORE_CHANGE_MODES = ("off", "whenAvailable", "required")


@dataclass(frozen=True)
class StreamOptions:
    full_document: str = "default"
    before_change: str = "off"
    expanded: bool = False


def shape_event(engine: Engine, event: dict[str, Any], options: StreamOptions) -> dict[str, Any] | None:
    """The event as this stream delivers it, or None when the stream does not see such events."""
    if event.get("expanded") and not options.expanded:
        return None
    out = {k: v for k, v in event.items() if k not in INTERNAL}
    kind = out["operationType"]
    if not options.expanded:
        for key in EXPANDED_ONLY:
            out.pop(key, None)
        if "updateDescription" in out and "disambiguatedPaths" in out["updateDescription"]:
            out["updateDescription"] = {
                k: v for k, v in out["updateDescription"].items() if k != "disambiguatedPaths"
            }
    if kind == "invalidate":
        out.pop("ns", None)
    if kind == "update" and options.full_document != "default":
        out["fullDocument"] = _post_image(engine, event, options.full_document)
    if kind in ("update", "replace", "delete") and options.before_change != "off":
        if "fullDocumentBeforeChange" in event:
            out["fullDocumentBeforeChange"] = event["fullDocumentBeforeChange"]
        elif options.before_change == "required":
            raise _image_missing("pre-image", event)
        else:
            out["fullDocumentBeforeChange"] = None
    return out


def _post_image(engine: Engine, event: dict[str, Any], mode: str) -> Any:
    if mode == "updateLookup":
        coll = engine.collection(event["ns"]["db"], event["ns"]["coll"])
        return coll.get(id_key(event["documentKey"]["_id"])) if coll is not None else None
    if "postImage" in event:
        return event["postImage"]
    if mode == "required":
        raise _image_missing("post-image", event)
    return None


def _image_missing(which: str, event: dict[str, Any]) -> CommandError:
    return CommandError(
        f"Change stream was configured to require a {which} for all update, delete and replace events, "
        f"but the {which} was not found for event: {event['_id']}",
        code=47,  # NoMatchingDocument
    )
