"""Stand-in core: command errors with MongoDB's codes, code names and error labels."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def _load_codes() -> tuple[dict[int, str], dict[int, frozenset[str]]]:
    names: dict[int, str] = {}
    categories: dict[int, frozenset[str]] = {}
    for line in (Path(__file__).with_name("error_codes.txt")).read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split()
        code = int(fields[0])
        names[code] = fields[1]
        categories[code] = frozenset(fields[2].split(",")) if len(fields) > 2 else frozenset()
    return names, categories


# MongoDB's own list (error_codes.yml); a code it does not name is a "Location<code>" assertion.
CODE_NAMES, CODE_CATEGORIES = _load_codes()


def code_name(code: int) -> str:
    return CODE_NAMES.get(code, f"Location{code}")


def in_category(code: int | None, category: str) -> bool:
    return code is not None and category in CODE_CATEGORIES.get(code, frozenset())


# Codes for which mongod attaches RetryableWriteError to a failed retryable write or commit/abort.
RETRYABLE_WRITE_CODES = frozenset(c for c, cats in CODE_CATEGORIES.items() if "RetriableError" in cats)


class CommandError(Exception):
    """A command failure, answered as {ok: 0, errmsg, code, codeName, errorLabels?}."""

    code = 1

    def __init__(
        self,
        errmsg: str,
        code: int | None = None,
        labels: tuple[str, ...] = (),
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(errmsg)
        self.errmsg = errmsg
        if code is not None:
            self.code = code
        self.labels = list(labels)
        self.extra = dict(extra or {})

    @property
    def code_name(self) -> str:
        return code_name(self.code)

    def to_reply(self) -> dict[str, Any]:
        reply: dict[str, Any] = {
            "ok": 0.0,
            "errmsg": self.errmsg,
            "code": self.code,
            "codeName": self.code_name,
        }
        reply.update(self.extra)
        if self.labels:
            reply["errorLabels"] = list(self.labels)
        return reply

    def to_write_error(self, index: int) -> dict[str, Any]:
        entry: dict[str, Any] = {"index": index, "code": self.code, "errmsg": self.errmsg}
        entry.update(self.extra)
        return entry


class BadValueError(CommandError):
    code = 2


class FailedToParseError(CommandError):
    code = 9


class TypeMismatchError(CommandError):
    code = 14


class UnknownFieldError(CommandError):
    code = 40415


class NotImplementedByStandinError(CommandError):
    """A real MongoDB feature the stand-in refuses rather than silently mis-implementing."""

    code = 238

    def __init__(self, what: str) -> None:
        super().__init__(f"{what} is not supported by the MongoDB stand-in (tests/mongo_standin)")


class CommandNotFoundError(CommandError):
    code = 59


class DuplicateKeyError(CommandError):
    code = 11000


class WriteConflictError(CommandError):
    code = 112

    def __init__(
        self, errmsg: str = "Write conflict during plan execution and yielding is disabled."
    ) -> None:
        super().__init__(errmsg)


class NoSuchTransactionError(CommandError):
    code = 251


class CursorNotFoundError(CommandError):
    code = 43


class ChangeStreamHistoryLostError(CommandError):
    code = 286


class InvalidResumeTokenError(CommandError):
    code = 260


class CloseConnection(Exception):  # noqa: N818 — an instruction to the transport, not a failure
    """A fail point asked for the connection to be dropped without a reply."""
