"""Integration tests: MongoDB contract suite, run against the stand-in or a real replica set."""
