"""Test infrastructure: a MongoDB single-node replica-set stand-in that pymongo talks to over TCP."""
