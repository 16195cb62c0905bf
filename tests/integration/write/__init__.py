"""Integration tests of the write side against MongoDB (the stand-in or a real replica set)."""
