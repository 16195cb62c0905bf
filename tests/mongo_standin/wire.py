"""Stand-in transport: MongoDB wire-protocol framing (OP_MSG, and OP_QUERY only for legacy handshakes)."""

from __future__ import annotations

import itertools
import socket
import struct
from dataclasses import dataclass, field
from typing import Any

import bson
from bson.binary import UuidRepresentation
from bson.codec_options import CodecOptions, DatetimeConversion

OP_REPLY = 1
OP_QUERY = 2004
OP_COMPRESSED = 2012
OP_MSG = 2013

FLAG_CHECKSUM = 1
FLAG_MORE_TO_COME = 1 << 1
FLAG_EXHAUST_ALLOWED = 1 << 16
KNOWN_FLAGS = FLAG_CHECKSUM | FLAG_MORE_TO_COME | FLAG_EXHAUST_ALLOWED

MAX_MESSAGE_SIZE = 48_000_000
HEADER = struct.Struct("<iiii")

# Keep every BSON value exactly as sent: UUIDs stay Binary, datetimes stay naive UTC milliseconds.
CODEC = CodecOptions(
    document_class=dict,
    tz_aware=False,
    uuid_representation=UuidRepresentation.UNSPECIFIED,
    datetime_conversion=DatetimeConversion.DATETIME_AUTO,
)

_request_ids = itertools.count(1)


class ProtocolError(Exception):
    """The peer sent something that is not a well-formed message we accept; the connection is closed."""


@dataclass
class Request:
    request_id: int
    op_code: int
    flags: int = 0
    body: dict[str, Any] = field(default_factory=dict)
    legacy_query: bool = False
    size: int = 0  # of the whole message: no document in it can be larger

    @property
    def more_to_come(self) -> bool:
        return bool(self.flags & FLAG_MORE_TO_COME)

    @property
    def exhaust_allowed(self) -> bool:
        return bool(self.flags & FLAG_EXHAUST_ALLOWED)


def _recv_exactly(sock: socket.socket, size: int) -> bytes:
    chunks = bytearray()
    while len(chunks) < size:
        chunk = sock.recv(size - len(chunks))
        if not chunk:
            raise EOFError("peer closed the connection")
        chunks += chunk
    return bytes(chunks)


def read_request(sock: socket.socket) -> Request:
    length, request_id, _response_to, op_code = HEADER.unpack(_recv_exactly(sock, HEADER.size))
    if length < HEADER.size or length > MAX_MESSAGE_SIZE:
        raise ProtocolError(f"invalid message length {length}")
    payload = _recv_exactly(sock, length - HEADER.size)
    if op_code == OP_MSG:
        request = _parse_op_msg(request_id, payload)
    elif op_code == OP_QUERY:
        request = _parse_op_query(request_id, payload)
    else:
        raise ProtocolError(
            f"opcode {op_code} is not supported (only OP_MSG); OP_COMPRESSED needs negotiated compression"
        )
    request.size = length
    return request


def _parse_op_msg(request_id: int, payload: bytes) -> Request:
    (flags,) = struct.unpack_from("<I", payload, 0)
    if flags & 0xFFFF & ~KNOWN_FLAGS:
        raise ProtocolError(f"unknown required OP_MSG flag bits {flags:#x}")
    end = len(payload) - (4 if flags & FLAG_CHECKSUM else 0)
    pos = 4
    body: dict[str, Any] | None = None
    sequences: dict[str, list[dict[str, Any]]] = {}
    while pos < end:
        kind = payload[pos]
        pos += 1
        (size,) = struct.unpack_from("<i", payload, pos)
        if kind == 0:
            if body is not None:
                raise ProtocolError("OP_MSG has more than one kind-0 section")
            body = bson.decode(payload[pos : pos + size], CODEC)
            pos += size
        elif kind == 1:
            section = payload[pos + 4 : pos + size]
            name_end = section.index(b"\x00")
            identifier = section[:name_end].decode()
            sequences[identifier] = bson.decode_all(section[name_end + 1 :], CODEC)
            pos += size
        else:
            raise ProtocolError(f"unknown OP_MSG section kind {kind}")
    if body is None:
        raise ProtocolError("OP_MSG without a kind-0 body section")
    for identifier, documents in sequences.items():
        if identifier in body:
            raise ProtocolError(f"field {identifier!r} given both in the body and as a document sequence")
        body[identifier] = documents
    return Request(request_id, OP_MSG, flags, body)


def _parse_op_query(request_id: int, payload: bytes) -> Request:
    pos = 4
    name_end = payload.index(b"\x00", pos)
    collection = payload[pos:name_end].decode()
    pos = name_end + 1 + 8
    (size,) = struct.unpack_from("<i", payload, pos)
    query = bson.decode(payload[pos : pos + size], CODEC)
    if "$query" in query:
        query = query["$query"]
    query.setdefault("$db", collection.split(".", 1)[0])
    return Request(request_id, OP_QUERY, 0, query, legacy_query=True)


def encode_reply(request: Request, document: dict[str, Any], more_to_come: bool = False) -> bytes:
    encoded = bson.encode(document, codec_options=CODEC)
    request_id = next(_request_ids)
    if request.legacy_query:
        body = struct.pack("<iqii", 0, 0, 0, 1) + encoded
        return HEADER.pack(HEADER.size + len(body), request_id, request.request_id, OP_REPLY) + body
    flags = FLAG_MORE_TO_COME if more_to_come else 0
    body = struct.pack("<IB", flags, 0) + encoded
    return HEADER.pack(HEADER.size + len(body), request_id, request.request_id, OP_MSG) + body
