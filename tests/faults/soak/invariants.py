"""Soak: the invariants, checked against what the clients were told and what the databases hold."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from pymongo.database import Database

from accounts_read.models import AccountView, LedgerLine
from accounts_write.contract import ACCOUNTS_COLLECTION, OUTBOX_COLLECTION, OutboxStatus
from accounts_write.contract import OutboxField as F
from tests.faults.convergence import MONEY_EVENTS, drift
from tests.faults.soak.faults import LEADER_FAULTS, MONGODB_OUTAGES, MYSQL_OUTAGES, Fault
from tests.faults.soak.load import Answer, Book

# A 503 is fine while a database is away and for a few seconds after it is back.
GRACE = 10.0


@dataclass
class Check:
    name: str
    ok: bool
    detail: str


def commands_and_events(book: Book, database: Database[Any]) -> list[Check]:
    """Every 2xx command has exactly its events in the outbox; a refused one has none."""
    by_key: dict[str, set[str]] = defaultdict(set)
    for doc in database[OUTBOX_COLLECTION].find({}, [F.COMMAND_ID]):
        # Stored as "<client namespace>/<idempotency key>" (keys are scoped per API key); the soak
        # sends every command with one key, so the idempotency key alone names the command.
        _, _, key = str(doc.get(F.COMMAND_ID)).rpartition("/")
        by_key[key].add(str(doc["_id"]))
    firsts = [command for command in book.commands if not command.repeat]
    unresolved = [command for command in firsts if command.outcome is None]
    wrong: list[str] = []
    for command in firsts:
        if command.outcome is None:
            continue
        expected = set(map(str, command.result["event_ids"])) if command.acknowledged else set()
        if by_key.get(command.key, set()) != expected:
            wrong.append(
                f"{command.kind} {command.key}: answered {command.outcome}, events "
                f"{sorted(by_key.get(command.key, set()))} expected {sorted(expected)}"
            )
    accepted_invalid = [c.key for c in firsts if not c.valid and c.acknowledged]
    acked = sum(command.acknowledged for command in firsts)
    return [
        Check(
            "every command settled (2xx or 4xx) after retries with its key",
            not unresolved,
            f"{len(firsts)} commands, {len(unresolved)} unsettled"
            + (f": {[c.key for c in unresolved[:5]]}" if unresolved else ""),
        ),
        Check(
            "every 2xx command has exactly its events in the outbox; a 4xx one has none",
            not wrong,
            f"{acked} acknowledged, {len(firsts) - acked - len(unresolved)} refused; "
            f"{len(wrong)} wrong" + (f": {wrong[:3]}" if wrong else ""),
        ),
        Check(
            "invalid commands are refused",
            not accepted_invalid,
            f"{sum(not c.valid for c in firsts)} invalid sent, {len(accepted_invalid)} accepted",
        ),
        Check(
            "a repeated Idempotency-Key returns the first result; with another body, 409",
            not book.violations,
            f"{sum(c.repeat for c in book.commands)} repeats; "
            + (f"violations: {book.violations[:3]}" if book.violations else "all as promised"),
        ),
    ]


def expected_accounts(book: Book) -> dict[str, tuple[Decimal, int, str, str]]:
    """Per account, from the acknowledged commands alone: (balance, version, status, owner)."""
    balance: dict[str, Decimal] = defaultdict(Decimal)
    version: Counter[str] = Counter()
    owner: dict[str, str] = {}
    closed: set[str] = set()
    for command in book.commands:
        if command.repeat or not command.acknowledged:
            continue
        body, result = command.body, command.result
        if command.kind == "open":
            account = result["account_id"]
            owner[account] = body["owner"]
            balance[account] += Decimal(body.get("initial_deposit") or "0")
            version[account] += len(result["event_ids"])
        elif command.kind == "transfer":
            balance[body["from_account"]] -= Decimal(body["amount"])
            balance[body["to_account"]] += Decimal(body["amount"])
            version[body["from_account"]] += 1
            version[body["to_account"]] += 1
        else:
            account = command.path.split("/")[3]
            sign = {"deposit": 1, "withdraw": -1}.get(command.kind, 0)
            balance[account] += sign * Decimal(body["amount"]) if sign else 0
            version[account] += 1
            if command.kind == "close":
                closed.add(account)
    return {
        account: (balance[account], version[account], "closed" if account in closed else "open", name)
        for account, name in owner.items()
    }


def state(book: Book, database: Database[Any]) -> list[Check]:
    expected = expected_accounts(book)
    write = {
        str(doc["_id"]): (doc["balance"].to_decimal(), doc["version"], doc["status"], doc["owner"])
        for doc in database[ACCOUNTS_COLLECTION].find()
    }
    read = {
        str(v.account_id): (Decimal(v.balance), v.version, v.status, v.owner)
        for v in AccountView.objects.all()
    }
    write_wrong = [
        f"{a}: write {write.get(a)} expected {e}" for a, e in expected.items() if write.get(a) != e
    ]
    write_wrong += [
        f"{a}: on the write side, opened by no acknowledged command" for a in write.keys() - expected.keys()
    ]
    read_wrong = [f"{a}: read {read.get(a)} expected {e}" for a, e in expected.items() if read.get(a) != e]
    read_wrong += [
        f"{a}: on the read side, opened by no acknowledged command" for a in read.keys() - expected.keys()
    ]
    problems = drift(database)
    money_ids = {
        str(d["_id"])
        for d in database[OUTBOX_COLLECTION].find({F.EVENT_TYPE: {"$in": MONEY_EVENTS}}, ["_id"])
    }
    ledger = [str(i) for i in LedgerLine.objects.values_list("event_id", flat=True)]
    put_in = sum(
        Decimal(c.body.get("initial_deposit") or "0")
        for c in book.commands
        if c.kind == "open" and c.acknowledged and not c.repeat
    )
    moved = sum(
        (Decimal(c.body["amount"]) * (1 if c.kind == "deposit" else -1))
        for c in book.commands
        if c.kind in ("deposit", "withdraw") and c.acknowledged and not c.repeat
    )
    total_read, total_write = sum(v[0] for v in read.values()), sum(v[0] for v in write.values())
    dead = database[OUTBOX_COLLECTION].count_documents({F.STATUS: OutboxStatus.DEAD.value})
    return [
        Check(
            "the write side holds exactly the effects of the acknowledged commands",
            not write_wrong,
            f"{len(expected)} accounts; {len(write_wrong)} differ"
            + (f": {write_wrong[:3]}" if write_wrong else ""),
        ),
        Check(
            "the read side (MySQL) holds exactly the effects of the acknowledged commands",
            not read_wrong,
            f"{len(read)} accounts; {len(read_wrong)} differ" + (f": {read_wrong[:3]}" if read_wrong else ""),
        ),
        Check(
            "read state equals write state (balance, version, status, owner) for every account",
            not problems,
            f"{len(problems)} differences" + (f": {problems[:3]}" if problems else ""),
        ),
        Check(
            "no event applied twice: ledger event ids unique, ledger lines = money events",
            len(ledger) == len(set(ledger)) == len(money_ids) and set(ledger) == money_ids,
            f"{len(ledger)} ledger lines, {len(set(ledger))} distinct, {len(money_ids)} money events",
        ),
        Check(
            "money conserved: sum of balances = opening deposits + deposits - withdrawals",
            total_read == total_write == put_in + moved,
            f"read {total_read}, write {total_write}, acknowledged {put_in} + {moved} = {put_in + moved}",
        ),
        Check("no dead letters (every failure under these faults is transient)", dead == 0, f"{dead} dead"),
    ]


def _windows(faults: list[Fault], kinds: tuple[str, ...]) -> list[tuple[float, float]]:
    return [(fault.start, fault.end + GRACE) for fault in faults if fault.kind in kinds]


def _inside(answer: Answer, windows: list[tuple[float, float]]) -> bool:
    return any(answer.sent <= end and answer.received >= start for start, end in windows)


def http_answers(book: Book, reads: list[tuple[str, Answer]], faults: list[Fault]) -> list[Check]:
    databases = _windows(faults, MYSQL_OUTAGES + MONGODB_OUTAGES)
    mongo_only = _windows(faults, MONGODB_OUTAGES)
    mysql = _windows(faults, MYSQL_OUTAGES)
    answers = [a for c in book.commands for a in c.answers] + [a for _, a in reads]
    bad = [
        a
        for a in answers
        if a.status is not None and a.status >= 500 and not (a.status == 503 and _inside(a, databases))
    ]
    during_mongo = [a for _, a in reads if _inside(a, mongo_only) and not _inside(a, mysql)]
    served = [a for a in during_mongo if a.status is not None and a.status < 500]
    # A read that got no answer in time (rather than a reset from a killed web process) was not served.
    slow = sorted(a.received - a.sent for a in served)
    latency = f"; latency p50 {slow[len(slow) // 2]:.2f} s, max {slow[-1]:.2f} s" if slow else ""
    failed_reads = [
        a for a in during_mongo if (a.status is not None and a.status >= 500) or a.error == "TimeoutError"
    ]
    return [
        Check(
            "no 5xx except 503 while a database is away",
            not bad,
            f"{len(answers)} answers, {sum(1 for a in answers if a.status == 503)} were 503, "
            f"{len(bad)} not allowed" + (f": {[(a.status, a.body) for a in bad[:3]]}" if bad else ""),
        ),
        Check(
            "the read API stays available while MongoDB is down",
            not failed_reads and bool(served) == bool(during_mongo),
            f"{len(served)} of {len(during_mongo)} reads answered during MongoDB outages "
            f"({len(failed_reads)} failed or timed out; "
            f"{sum(a.status is None and a.error != 'TimeoutError' for a in during_mongo)} "
            f"cut off by a web process kill){latency}",
        ),
    ]


def takeovers(faults: list[Fault], lease: float, poll: float) -> Check:
    bound = lease + poll + 5
    frozen = [f for f in faults if f.kind in LEADER_FAULTS]
    slow = [f for f in frozen if f.takeover is None or f.takeover > bound]
    times = sorted(f.takeover for f in frozen if f.takeover is not None)
    return Check(
        f"a frozen leader is replaced within the lease time + {bound - lease:.1f} s ({bound:.1f} s)",
        not slow,
        f"{len(frozen)} frozen leaders; takeover max {max(times, default=0):.1f} s; {len(slow)} late",
    )


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[len(ordered) // 2] if ordered else 0.0


# A settled leader's sockets: its MySQL connection and its MongoDB pool (three). Measured flat at 4
# over the 32-minute soak in docs/RELIABILITY.md.
LEADER_SOCKETS = 4


def resources(usage: list[Any], warm_up: float = 20.0) -> list[Check]:
    """Over the run: projector processes in the last fifth of it against those in the first fifth,
    the leader against the leader and a standby against a standby (processes are killed every few
    tens of seconds, so "over the run" is across their lives); and every life that lasted a minute
    past warm-up, from its first sample to its last."""
    settled = [item for item in usage if item.age >= warm_up]
    lives: dict[tuple[int, bool], list[Any]] = defaultdict(list)
    for item in settled:
        lives[(item.pid, item.leader)].append(item)  # one process in one role
    long = [items for items in lives.values() if items[-1].age - items[0].age >= 60]
    grew = [items for items in long if items[-1].rss_mb > items[0].rss_mb + 10]
    # Sockets are not judged per life: a standby that led once keeps its MongoDB pool (1 → 4
    # sockets, then flat); a leak shows across the run, and no process may ever hold many.
    most = max((item.sockets for item in settled), default=0)
    rss_notes, socket_notes, rss_ok, sockets_ok = [], [], True, True
    if settled:
        begin, end = settled[0].at, settled[-1].at
        fifth = (end - begin) / 5
        for role, is_leader in (("leader", True), ("standby", False)):
            first = [i for i in settled if i.leader is is_leader and i.at <= begin + fifth]
            last = [i for i in settled if i.leader is is_leader and i.at >= end - fifth]
            if first and last:
                rss_first, rss_last = _median([i.rss_mb for i in first]), _median([i.rss_mb for i in last])
                rss_ok = rss_ok and rss_last <= rss_first * 1.15
                rss_notes.append(f"{role} median {rss_first:.0f} → {rss_last:.0f} MB")
        # Sockets only leader against leader: a standby holds 1, or 4 once it has led (its pool stays).
        first = [i.sockets for i in settled if i.leader and i.at <= begin + (end - begin) / 2]
        last = [i.sockets for i in settled if i.leader and i.at > begin + (end - begin) / 2]
        if first and last:
            # Against at least a settled leader's own count: in a short run every first-half sample
            # may catch a leader before its MongoDB pool is open (1 socket), and 1 → 4 is no leak.
            sockets_ok = max(last) <= max(*first, LEADER_SOCKETS) + 2
            socket_notes.append(
                f"the leader held at most {max(first)} in the first half, {max(last)} in the last"
            )
    measured = bool(rss_notes) or bool(long)
    prefix = "" if measured else "not measured (too few samples past warm-up); "
    lives_note = f"; {len(long)} stretches of ≥ 60 s in one role past warm-up" + (
        f", {len(grew)} grew by > 10 MB" if grew else ", none grew by > 10 MB" if long else ""
    )
    return [
        Check(
            "projector RSS does not grow over the run "
            "(first fifth of the run → last fifth, per role: ≤ +15%; one life: ≤ +10 MB)",
            rss_ok and not grew,
            f"{prefix}{len(settled)} samples of {len({pid for pid, _ in lives})} processes; "
            + "; ".join(rss_notes)
            + lives_note,
        ),
        Check(
            "projector open connections do not grow over the run "
            "(the leader's, first half → last half: ≤ +2; no projector ever more than 12)",
            sockets_ok and most <= 12,
            f"{prefix}sockets: "
            + "; ".join(socket_notes)
            + f"; range {min((i.sockets for i in settled), default=0)}–"
            + f"{max((i.sockets for i in settled), default=0)}",
        ),
    ]
