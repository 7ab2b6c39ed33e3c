"""Fixtures of the carbon tests: the probe project and counted trackers (tests/support)."""

from tests.support.carbon_probe import (
    ProbeRunner,
    carbon_out,
    probe_project,
    run_probe,
    tracker_count,
)

__all__ = ["ProbeRunner", "carbon_out", "probe_project", "run_probe", "tracker_count"]
