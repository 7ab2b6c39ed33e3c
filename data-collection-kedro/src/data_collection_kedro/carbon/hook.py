"""Placeholder until the carbon hook lands (see docs/data-contracts.md §5)."""

from __future__ import annotations


class CarbonTrackingHook:
    """Per-node CodeCarbon measurement (implementation in progress)."""
