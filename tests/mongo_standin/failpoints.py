"""Stand-in fault injection: the fail points mongod offers with enableTestCommands that drivers' tests use."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tests.mongo_standin.errors import BadValueError, NotImplementedByStandinError

FAIL_COMMAND_FIELDS = frozenset(
    {
        "failCommands",
        "errorCode",
        "errorLabels",
        "closeConnection",
        "blockConnection",
        "blockTimeMS",
        "writeConcernError",
        "appName",
        "failInternalCommands",
        "errmsg",
    }
)


@dataclass
class FailAction:
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def close_connection(self) -> bool:
        return bool(self.data.get("closeConnection"))

    @property
    def block_seconds(self) -> float:
        return float(self.data.get("blockTimeMS", 0)) / 1000 if self.data.get("blockConnection") else 0.0

    @property
    def error_code(self) -> int | None:
        code = self.data.get("errorCode")
        return int(code) if code is not None else None

    @property
    def error_labels(self) -> list[str] | None:
        labels = self.data.get("errorLabels")
        return list(labels) if labels is not None else None

    @property
    def write_concern_error(self) -> dict[str, Any] | None:
        return self.data.get("writeConcernError")


class FailPoint:
    """Mode alwaysOn / off / {times: n} / {skip: n}; ``fire()`` says whether it triggers this time."""

    data_fields: frozenset[str] = frozenset()

    def __init__(self, name: str) -> None:
        self.name = name
        self.mode: str = "off"
        self.remaining = 0
        self.skip = 0
        self.entered = 0  # how often it triggered, as configureFailPoint's "count" reports
        self.data: dict[str, Any] = {}

    def configure(self, mode: Any, data: dict[str, Any] | None) -> int:
        data = dict(data or {})
        unknown = set(data) - self.data_fields
        if unknown:
            raise NotImplementedByStandinError(f"{self.name} data field(s) {sorted(unknown)}")
        previous = self.entered
        if mode == "off":
            self.mode, self.data = "off", {}
            return previous
        if mode == "alwaysOn":
            self.mode = "alwaysOn"
        elif isinstance(mode, dict) and set(mode) == {"times"}:
            self.mode, self.remaining = "times", int(mode["times"])
        elif isinstance(mode, dict) and set(mode) == {"skip"}:
            self.mode, self.skip = "skip", int(mode["skip"])
        elif isinstance(mode, dict) and "activationProbability" in mode:
            raise NotImplementedByStandinError("failpoint mode activationProbability")
        else:
            raise BadValueError(f"invalid failpoint mode: {mode!r}")
        self.validate(data)
        self.data = data
        self.entered = 0
        return previous

    def validate(self, data: dict[str, Any]) -> None:
        """Subclasses check their data."""

    def fire(self) -> FailAction | None:
        if self.mode == "off":
            return None
        if self.mode == "skip":
            if self.skip > 0:
                self.skip -= 1
                return None
        elif self.mode == "times":
            if self.remaining <= 0:
                self.mode = "off"
                return None
            self.remaining -= 1
            if self.remaining == 0:
                self.mode = "off"
        self.entered += 1
        return FailAction(dict(self.data))


class FailCommandPoint(FailPoint):
    """failCommand: matches commands by name and optional appName before it counts as triggered."""

    data_fields = FAIL_COMMAND_FIELDS

    def validate(self, data: dict[str, Any]) -> None:
        if not isinstance(data.get("failCommands"), list):
            raise BadValueError("failCommand fail point needs data.failCommands, a list of command names")

    def check(self, command: str, app_name: str | None) -> FailAction | None:
        if self.mode == "off" or command not in self.data.get("failCommands", []):
            return None
        wanted_app = self.data.get("appName")
        if wanted_app is not None and wanted_app != app_name:
            return None
        return self.fire()


class ErrorCodePoint(FailPoint):
    """failGetMoreAfterCursorCheckout: a getMore fails with errorCode once its cursor is checked out."""

    data_fields = frozenset({"errorCode", "closeConnection"})


class TransactionalWritePoint(FailPoint):
    """onPrimaryTransactionalWrite: a retryable write closes the connection after it is applied, or
    (failBeforeCommitExceptionCode) fails with that code before it is; closeConnection defaults to true."""

    data_fields = frozenset({"closeConnection", "failBeforeCommitExceptionCode"})


class TimeOutPoint(FailPoint):
    """maxTimeAlwaysTimeOut: every command that carries a maxTimeMS fails with MaxTimeMSExpired."""


def make_fail_points() -> dict[str, FailPoint]:
    """Every fail point but failCommand, which the engine keeps typed (it matches commands)."""
    return {
        "failGetMoreAfterCursorCheckout": ErrorCodePoint("failGetMoreAfterCursorCheckout"),
        "onPrimaryTransactionalWrite": TransactionalWritePoint("onPrimaryTransactionalWrite"),
        "maxTimeAlwaysTimeOut": TimeOutPoint("maxTimeAlwaysTimeOut"),
    }
