"""Integration tests of the projector: apply, outbox, runner, sweeps (MariaDB + MongoDB or stand-in)."""
