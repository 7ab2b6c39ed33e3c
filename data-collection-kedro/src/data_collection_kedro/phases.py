"""The phases of a data project's footprint, one Kedro node tag each.

Every node of the project's pipelines carries exactly one phase tag (``phase.collection``,
``phase.processing``, ``phase.training``, ``phase.inference``), set where the node is wired
(``pipelines/<name>/pipeline.py``): the tags are the one place that says which phase a node
belongs to. The carbon hook writes the phase of each measured node into its row of
``emissions_nodes.csv``; the carbon summary groups by it (for rows written before the column
existed it reads the node's tag from the pipeline registry, :func:`phases_of_pipelines`).

``kedro run --tags phase.training`` runs one phase.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

COLLECTION = "collection"  # reading the sources, validating and storing the raw rows
PROCESSING = "processing"  # merging raw tables into indices, building model features
TRAINING = "training"  # fitting and evaluating models (model development)
INFERENCE = "inference"  # producing the outputs users read: forecasts, scores, clusters
PHASES: tuple[str, ...] = (COLLECTION, PROCESSING, TRAINING, INFERENCE)
#: not a node phase: the runner's work outside any node (start-up, scheduling, hooks)
ORCHESTRATION = "orchestration"
#: a node without a phase tag (a pipeline outside the project, an old row)
UNKNOWN = "unknown"

TAG_PREFIX = "phase."


class PhaseError(ValueError):
    """A node has no phase tag, or several."""


def tag(phase: str) -> str:
    """The Kedro tag of ``phase`` (``phase.training``)."""
    if phase not in PHASES:
        raise PhaseError(f"unknown phase {phase!r}: expected one of {', '.join(PHASES)}")
    return f"{TAG_PREFIX}{phase}"


def phase_of(tags: Iterable[str]) -> str | None:
    """The phase named by a node's tags (``None`` when it has no phase tag)."""
    found = sorted({t.removeprefix(TAG_PREFIX) for t in tags if t.startswith(TAG_PREFIX)})
    if len(found) > 1:
        raise PhaseError(f"several phase tags {found}: a node belongs to one phase")
    if found and found[0] not in PHASES:
        raise PhaseError(f"unknown phase tag {found[0]!r}: expected one of {', '.join(PHASES)}")
    return found[0] if found else None


def phase_of_node(node: Any) -> str:
    """The phase of a Kedro node (:data:`UNKNOWN` when it has no phase tag, or several)."""
    try:
        return phase_of(getattr(node, "tags", ()) or ()) or UNKNOWN
    except PhaseError:
        return UNKNOWN


def phases_of_pipelines(pipelines: Mapping[str, Any]) -> dict[str, str]:
    """Node name → phase over the registered pipelines (their tags)."""
    out: dict[str, str] = {}
    for pipeline in pipelines.values():
        for node in getattr(pipeline, "nodes", ()):
            out.setdefault(node.name, phase_of_node(node))
    return out
