"""Soak: a steady mixed load from concurrent HTTP clients, and the book of what was acknowledged.

Every command carries an Idempotency-Key. An answer that does not settle the outcome (no answer,
a reset connection, a 503) is retried with the same key and body until one does: a 2xx (it ran,
exactly once) or a 4xx (it did not run). So at the end every command sent has a known outcome,
and the expected state of every account follows from the acknowledged commands alone.
"""

from __future__ import annotations

import http.client
import json
import random
import threading
import time
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

TIMEOUT = 15.0


@dataclass
class Answer:
    sent: float  # wall clock
    received: float
    status: int | None  # None: no HTTP answer (refused, reset, timed out)
    body: Any = None
    replayed: bool = False
    error: str = ""  # why there was no answer: the exception's class name


@dataclass
class Command:
    kind: str
    path: str
    body: Any
    key: str
    valid: bool
    answers: list[Answer] = field(default_factory=list)
    # A deliberate repeat of an acknowledged command's key: it must change nothing.
    repeat: bool = False

    @property
    def outcome(self) -> int | None:
        """The settling status (2xx or 4xx), or None while the outcome is unknown."""
        for answer in self.answers:
            if answer.status is not None and (200 <= answer.status < 300 or 400 <= answer.status < 500):
                return answer.status
        return None

    @property
    def acknowledged(self) -> bool:
        status = self.outcome
        return status is not None and 200 <= status < 300

    @property
    def result(self) -> Any:
        return next(a.body for a in self.answers if a.status is not None and 200 <= a.status < 300)


@dataclass
class Account:
    owner: str
    balance: Decimal = Decimal("0.00")  # what the acknowledged commands add up to
    closed: bool = False


class Book:
    """Everything the clients sent and what they learned; the source of the expected state."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.commands: list[Command] = []
        self.accounts: dict[str, Account] = {}
        self.violations: list[str] = []

    def record(self, command: Command) -> None:
        with self.lock:
            self.commands.append(command)

    def violation(self, text: str) -> None:
        with self.lock:
            self.violations.append(text)

    def open_accounts(self) -> list[str]:
        with self.lock:
            return [account_id for account_id, account in self.accounts.items() if not account.closed]

    def learn(self, command: Command) -> None:
        """A command was acknowledged: what it did to the accounts (as far as this client knows)."""
        body, payload = command.result, command.body
        with self.lock:
            if command.kind == "open":
                self.accounts[body["account_id"]] = Account(
                    payload["owner"], Decimal(payload.get("initial_deposit") or "0")
                )
            elif command.kind in ("deposit", "withdraw"):
                sign = 1 if command.kind == "deposit" else -1
                self._account(command.path.split("/")[3]).balance += sign * Decimal(payload["amount"])
            elif command.kind == "transfer":
                self._account(payload["from_account"]).balance -= Decimal(payload["amount"])
                self._account(payload["to_account"]).balance += Decimal(payload["amount"])
            elif command.kind == "close":
                self._account(command.path.split("/")[3]).closed = True

    def _account(self, account_id: str) -> Account:
        return self.accounts.setdefault(account_id, Account(owner="?"))


class Http:
    def __init__(self, port: int, api_key: str) -> None:
        self.port = port
        self.api_key = api_key

    def call(self, method: str, path: str, body: Any = None, key: str | None = None) -> Answer:
        sent = time.time()
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=TIMEOUT)
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {self.api_key}"}
        if key:
            headers["Idempotency-Key"] = key
        data = body if isinstance(body, bytes) else (json.dumps(body).encode() if body is not None else None)
        try:
            connection.request(method, path, body=data, headers=headers)
            response = connection.getresponse()
            raw = response.read()
            try:
                parsed = json.loads(raw) if raw else None
            except ValueError:
                parsed = raw[:200].decode(errors="replace")
            replayed = response.getheader("Idempotent-Replayed") == "true"
            return Answer(sent, time.time(), response.status, parsed, replayed)
        except (OSError, http.client.HTTPException) as exc:
            return Answer(sent, time.time(), None, error=exc.__class__.__name__)
        finally:
            connection.close()


class Client(threading.Thread):
    """One client: picks a command, sends it until its outcome is known, sometimes repeats it."""

    def __init__(
        self, number: int, http: Http, book: Book, rng: random.Random, rate: float, stop: threading.Event
    ) -> None:
        super().__init__(name=f"client-{number}", daemon=True)
        self.http, self.book, self.rng, self.rate, self.stop_event = http, book, rng, rate, stop
        self.number = number

    def run(self) -> None:
        while not self.stop_event.is_set():
            command = self.next_command()
            self.settle(command)
            if command.acknowledged:
                self.book.learn(command)
                self.maybe_repeat(command)
            self.stop_event.wait(self.rng.expovariate(self.rate))

    def settle(self, command: Command, give_up_after: float = 120.0) -> None:
        """Send until the outcome is known; a command still unknown is settled after the run."""
        self.book.record(command)
        started = time.monotonic()
        delay = 0.2
        while True:
            answer = self.http.call("POST", command.path, command.body, command.key)
            command.answers.append(answer)
            if command.outcome is not None or time.monotonic() - started > give_up_after:
                return
            if self.stop_event.is_set() and time.monotonic() - started > 5:
                return
            time.sleep(delay)
            delay = min(delay * 2, 2.0)

    def maybe_repeat(self, command: Command) -> None:
        roll = self.rng.random()
        if roll < 0.05:
            repeat = Command(
                command.kind, command.path, command.body, command.key, command.valid, repeat=True
            )
            self._send_until_known(repeat)
            if repeat.outcome is not None and (
                not repeat.acknowledged
                or repeat.result.get("event_ids") != command.result.get("event_ids")
                or not repeat.answers[-1].replayed
            ):
                self.book.violation(
                    f"repeat of {command.key} answered {repeat.outcome} {repeat.answers[-1].body}"
                )
        elif roll < 0.06 and isinstance(command.body, dict) and "amount" in command.body:
            changed = {**command.body, "amount": str(Decimal(command.body["amount"]) + 1)}
            reuse = Command(command.kind, command.path, changed, command.key, valid=False, repeat=True)
            self._send_until_known(reuse)
            if reuse.outcome is not None and reuse.outcome != 409:
                self.book.violation(f"key {command.key} reused with another body answered {reuse.outcome}")

    def _send_until_known(self, command: Command) -> None:
        self.book.record(command)
        for _ in range(60):
            answer = self.http.call("POST", command.path, command.body, command.key)
            command.answers.append(answer)
            if command.outcome is not None or self.stop_event.is_set():
                return
            time.sleep(0.5)

    # --- what to send -----------------------------------------------------------------------------
    def next_command(self) -> Command:
        accounts = self.book.open_accounts()
        roll = self.rng.random()
        if len(accounts) < 10 or roll < 0.08:
            return self.open_account()
        if roll < 0.16:
            return self.invalid(accounts)
        if roll < 0.18:
            return self.close(accounts)
        account = self.rng.choice(accounts)
        if roll < 0.48:
            return self.command("deposit", f"/api/accounts/{account}/deposit", {"amount": self.amount()})
        if roll < 0.72:
            return self.command("withdraw", f"/api/accounts/{account}/withdraw", {"amount": self.amount()})
        other = self.rng.choice([a for a in accounts if a != account])
        body = {"from_account": account, "to_account": other, "amount": self.amount()}
        return self.command("transfer", "/api/transfers", body)

    def amount(self) -> str:
        return f"{Decimal(self.rng.randint(1, 20000)) / 100:.2f}"

    def command(self, kind: str, path: str, body: Any, valid: bool = True) -> Command:
        return Command(kind, path, body, f"soak-{uuid.UUID(int=self.rng.getrandbits(128))}", valid)

    def open_account(self) -> Command:
        body: dict[str, Any] = {"owner": f"client {self.number} #{self.rng.randint(1, 10**6)}"}
        if self.rng.random() < 0.7:
            body["initial_deposit"] = self.amount()
        return self.command("open", "/api/accounts", body)

    def close(self, accounts: list[str]) -> Command:
        account = self.rng.choice(accounts)
        with self.book.lock:
            balance = self.book.accounts[account].balance
        if balance > 0:
            drain = self.command(
                "withdraw", f"/api/accounts/{account}/withdraw", {"amount": f"{balance:.2f}"}
            )
            self.settle(drain)
            if drain.acknowledged:
                self.book.learn(drain)
        return self.command("close", f"/api/accounts/{account}/close", None)

    def invalid(self, accounts: list[str]) -> Command:
        account = self.rng.choice(accounts)
        choice = self.rng.randrange(6)
        if choice == 0:
            return self.command("deposit", f"/api/accounts/{account}/deposit", {"amount": "-5.00"}, False)
        if choice == 1:
            return self.command("deposit", f"/api/accounts/{account}/deposit", {"amount": "1.234"}, False)
        if choice == 2:
            return self.command("deposit", f"/api/accounts/{uuid.uuid4()}/deposit", {"amount": "1.00"}, False)
        if choice == 3:
            body = {"from_account": account, "to_account": account, "amount": "1.00"}
            return self.command("transfer", "/api/transfers", body, False)
        if choice == 4:
            return self.command(
                "withdraw", f"/api/accounts/{account}/withdraw", {"amount": "99999999.00"}, False
            )
        return self.command("deposit", f"/api/accounts/{account}/deposit", b'{"amount": ', False)


class Reader(threading.Thread):
    """Reads the read side all the time; every answer is kept for the availability checks."""

    def __init__(self, http: Http, book: Book, rng: random.Random, stop: threading.Event) -> None:
        super().__init__(name="reader", daemon=True)
        self.http, self.book, self.rng, self.stop_event = http, book, rng, stop
        self.answers: list[tuple[str, Answer]] = []

    def run(self) -> None:
        while not self.stop_event.wait(self.rng.uniform(0.1, 0.4)):
            accounts = self.book.open_accounts()
            roll = self.rng.random()
            if accounts and roll < 0.5:
                path = f"/api/accounts/{self.rng.choice(accounts)}"
            elif accounts and roll < 0.7:
                path = f"/api/accounts/{self.rng.choice(accounts)}/ledger?limit=10"
            elif roll < 0.85:
                path = "/api/accounts?limit=20"
            else:
                path = "/api/sync/status"
            self.answers.append((path, self.http.call("GET", path)))
