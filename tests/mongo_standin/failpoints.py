"""Stand-in fault injection: the `failCommand` fail point as mongod offers it with enableTestCommands."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tests.mongo_standin.errors import BadValueError, NotImplementedByStandinError

DATA_FIELDS = frozenset(
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


class FailCommandPoint:
    """Mode alwaysOn / off / {times: n} / {skip: n}; matching commands by name and optional appName."""

    def __init__(self) -> None:
        self.mode: str = "off"
        self.remaining = 0
        self.skip = 0
        self.data: dict[str, Any] = {}

    def configure(self, mode: Any, data: dict[str, Any] | None) -> None:
        data = dict(data or {})
        unknown = set(data) - DATA_FIELDS
        if unknown:
            raise NotImplementedByStandinError(f"failCommand data field(s) {sorted(unknown)}")
        if mode == "off":
            self.mode, self.data = "off", {}
            return
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
        if not isinstance(data.get("failCommands"), list):
            raise BadValueError("failCommand fail point needs data.failCommands, a list of command names")
        self.data = data

    def check(self, command: str, app_name: str | None) -> FailAction | None:
        if self.mode == "off" or command not in self.data.get("failCommands", []):
            return None
        wanted_app = self.data.get("appName")
        if wanted_app is not None and wanted_app != app_name:
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
        return FailAction(dict(self.data))
