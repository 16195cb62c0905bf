"""Conformance: MongoDB's unified spec tests, run through pymongo's own runner against the stand-in."""
