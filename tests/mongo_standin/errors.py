"""Stand-in core: command errors with MongoDB's codes, code names and error labels."""

from __future__ import annotations

from typing import Any

CODE_NAMES: dict[int, str] = {
    1: "InternalError",
    2: "BadValue",
    9: "FailedToParse",
    11: "UserNotFound",
    14: "TypeMismatch",
    20: "IllegalOperation",
    26: "NamespaceNotFound",
    27: "IndexNotFound",
    28: "PathNotViable",
    40: "ConflictingUpdateOperators",
    43: "CursorNotFound",
    48: "NamespaceExists",
    50: "MaxTimeMSExpired",
    59: "CommandNotFound",
    66: "ImmutableField",
    67: "CannotCreateIndex",
    72: "InvalidOptions",
    73: "InvalidNamespace",
    85: "IndexOptionsConflict",
    86: "IndexKeySpecsConflict",
    91: "ShutdownInProgress",
    112: "WriteConflict",
    168: "InvalidPipelineOperator",
    189: "PrimarySteppedDown",
    225: "TransactionTooOld",
    238: "NotImplemented",
    251: "NoSuchTransaction",
    256: "TransactionCommitted",
    260: "InvalidResumeToken",
    262: "ExceededTimeLimit",
    263: "OperationNotSupportedInTransaction",
    280: "ChangeStreamFatalError",
    286: "ChangeStreamHistoryLost",
    10107: "NotWritablePrimary",
    11000: "DuplicateKey",
    11600: "InterruptedAtShutdown",
    11602: "InterruptedDueToReplStateChange",
    13435: "NotPrimaryNoSecondaryOk",
    13436: "NotPrimaryOrSecondary",
    40324: "Location40324",
    40415: "Location40415",
}

# Codes for which a server attaches RetryableWriteError to a failed retryable write (driver spec).
RETRYABLE_WRITE_CODES = frozenset({6, 7, 89, 91, 189, 262, 9001, 10107, 11600, 11602, 13435, 13436})


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
        return CODE_NAMES.get(self.code, f"Location{self.code}")

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
        super().__init__(errmsg, labels=("TransientTransactionError",))


class NoSuchTransactionError(CommandError):
    code = 251

    def __init__(self, errmsg: str) -> None:
        super().__init__(errmsg, labels=("TransientTransactionError",))


class CursorNotFoundError(CommandError):
    code = 43


class ChangeStreamHistoryLostError(CommandError):
    code = 286


class InvalidResumeTokenError(CommandError):
    code = 260
