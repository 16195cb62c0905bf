"""Application layer: command handlers, the unit-of-work port and command idempotency."""
