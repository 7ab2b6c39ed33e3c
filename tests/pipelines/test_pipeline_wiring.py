"""One way to build pipelines: every node of the fusion and model pipelines is a named
``kedro.pipeline.Node`` calling a plain function of its own pipeline's ``nodes.py``
(constants come from ``params:`` entries, never from ``functools.partial``)."""

from __future__ import annotations

import functools
import inspect

import pytest

from tests.support.paths import KEDRO_PROJECT

PIPELINES = ("data_fusion_pipeline", "anomaly_detection", "clustering", "forecasting")


@pytest.fixture(scope="module")
def pipelines():
    from kedro.framework.startup import bootstrap_project

    bootstrap_project(KEDRO_PROJECT)
    from data_collection_kedro.pipeline_registry import register_pipelines

    return register_pipelines()


@pytest.mark.parametrize("name", PIPELINES)
def test_nodes_call_plain_functions_of_their_pipeline(pipelines, name) -> None:
    for node in pipelines[name].nodes:
        assert not isinstance(node.func, functools.partial), node.name
        assert inspect.isfunction(node.func), node.name
        assert node.func.__module__ == f"data_collection_kedro.pipelines.{name}.nodes", node.name
        assert "(" not in node.name, node  # named explicitly (unnamed nodes show their call)


def test_the_default_pipeline_holds_every_pipeline(pipelines) -> None:
    default = {node.name for node in pipelines["__default__"].nodes}
    for name in PIPELINES:
        assert {node.name for node in pipelines[name].nodes} <= default
