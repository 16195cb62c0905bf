"""Adapters: MongoDB implementations of the application's ports (pymongo, no ODM)."""
