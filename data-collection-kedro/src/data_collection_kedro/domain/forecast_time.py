"""Forecast time: which consumption days a forecast knows when it is issued.

A forecast for day D is issued on D-1 (in the morning: ``forecasting.issue.hour``). A source
publishes day X ``lag_days`` days after X (its declaration's ``Source.publication``,
docs/live-sources.md): on the issue day I it has published the days up to ``I - lag_days``.
The consumption history of a row of day D then stops at ``D - gap`` with
``gap = 1 + lag_days`` (``domain.features.HistorySpec.gap_days``), and never after D-2: on D-1
the day D-1 is still running, whatever the source.
"""

from __future__ import annotations

# On the issue day D-1, the last complete day is D-2 at best.
MIN_GAP_DAYS = 2


def history_gap_days(lag_days: int | None, source: str) -> int:
    """Days between a forecast day D (issued on D-1) and the last day ``source`` has published
    then (``lag_days``: its publication lag)."""
    if lag_days is None:
        raise ValueError(
            f"{source}: its publication lag is unknown (Source.publication in its declaration); "
            "an operational forecast cannot tell which of its days are known at the issue"
        )
    return max(MIN_GAP_DAYS, 1 + int(lag_days))
