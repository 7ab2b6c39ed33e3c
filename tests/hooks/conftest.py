"""Fixtures of the hook tests: the probe project (tests/support/carbon_probe.py)."""

from tests.support.carbon_probe import ProbeRunner, carbon_out, probe_project, run_probe

__all__ = ["ProbeRunner", "carbon_out", "probe_project", "run_probe"]
