"""The chaos soak (issue 11): the real processes under load, seeded faults, invariants, a report."""
