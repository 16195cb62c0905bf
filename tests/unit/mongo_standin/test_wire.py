"""Unit tests: OP_MSG parsing of kind-1 document sequences and the refusal of other opcodes."""

from __future__ import annotations

import socket
import struct

import bson
import pytest

from tests.mongo_standin.wire import OP_COMPRESSED, OP_MSG, ProtocolError, read_request


def _send(frame: bytes) -> socket.socket:
    left, right = socket.socketpair()
    left.sendall(frame)
    left.close()
    return right


def _frame(op_code: int, payload: bytes) -> bytes:
    return struct.pack("<iiii", 16 + len(payload), 1, 0, op_code) + payload


def test_document_sequence_becomes_a_body_field() -> None:
    docs = bson.encode({"_id": 1}) + bson.encode({"_id": 2})
    sequence = b"documents\x00" + docs
    payload = (
        struct.pack("<I", 0)
        + b"\x00"
        + bson.encode({"insert": "c", "$db": "d"})
        + b"\x01"
        + struct.pack("<i", 4 + len(sequence))
        + sequence
    )
    request = read_request(_send(_frame(OP_MSG, payload)))
    assert request.body["documents"] == [{"_id": 1}, {"_id": 2}]


def test_compressed_messages_are_refused() -> None:
    with pytest.raises(ProtocolError):
        read_request(_send(_frame(OP_COMPRESSED, b"\x00" * 9)))
