"""Integration tests: a command listener that records what a pymongo client sends on the wire."""

from __future__ import annotations

from pymongo import monitoring


class CommandRecorder(monitoring.CommandListener):
    """Records the commands a client sends, so a test can see what the driver put on the wire."""

    def __init__(self) -> None:
        self.started_events: list[monitoring.CommandStartedEvent] = []
        self.succeeded_events: list[monitoring.CommandSucceededEvent] = []
        self.failed_events: list[monitoring.CommandFailedEvent] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        self.started_events.append(event)

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        self.succeeded_events.append(event)

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        self.failed_events.append(event)

    def started_named(self, name: str) -> list[monitoring.CommandStartedEvent]:
        return [event for event in self.started_events if event.command_name == name]

    def succeeded_named(self, name: str) -> list[monitoring.CommandSucceededEvent]:
        return [event for event in self.succeeded_events if event.command_name == name]
