"""Conformance: the MongoDB specifications' unified tests, run through pymongo's runner against the stand-in."""
