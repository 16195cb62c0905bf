"""Test factories: read-model rows (factory-boy) and outbox documents in the contract shape."""
