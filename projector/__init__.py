"""Sync engine: tails the MongoDB outbox and applies events to the MySQL read models."""
