"""Delivery: this app's JSON API routes (mounted by config.api)."""

from ninja import Router

router = Router()
