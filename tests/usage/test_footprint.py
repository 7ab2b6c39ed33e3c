"""The calculation, the configuration and the monitoring section, against hand-computed values."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from data_collection_kedro.usage import (
    AnalyticsError,
    UsageConfigError,
    estimate_usage,
    load_usage_config,
    parse_usage_config,
)
from data_collection_kedro.usage.report import USAGE_SECTION_COLUMNS, build_usage_section
from tests.support.paths import KEDRO_PROJECT

from .conftest import ANALYTICS_CSV, ANALYTICS_YAML, CONFIG, EXPECTED


@pytest.mark.parametrize("region", ["alpha", "beta"])
@pytest.mark.parametrize("analytics", [ANALYTICS_YAML, ANALYTICS_CSV], ids=["yaml", "csv"])
def test_hand_computed_energy_and_emissions(config, region: str, analytics: bytes) -> None:
    result = estimate_usage(analytics, region=region, config=config)
    per_profile = result.per_profile.set_index("profile")
    for profile, expected in EXPECTED[region].items():
        assert per_profile.loc[profile, "energy_kwh"] == pytest.approx(
            expected["energy_kwh"], rel=1e-5
        )
        assert per_profile.loc[profile, "emissions_gco2e"] == pytest.approx(
            expected["emissions_gco2e"], rel=1e-5
        )
    assert per_profile.loc["chat", "total_inferences"] == 1500
    assert per_profile.loc["chat", "inference_time_s"] == pytest.approx(1000 * 2.2 + 500 * 1.2)
    assert per_profile.loc["clf", "inference_time_s"] == pytest.approx(360.0)
    day = result.per_day.set_index(["day", "profile"])
    assert day.loc[(pd.Timestamp("2024-05-02").date(), "chat"), "it_energy_kwh"] == pytest.approx(
        500 * 400 * 0.5 * 1.2 / 2 / 3.6e6
    )
    totals = result.totals()
    assert totals["energy_kwh"] == pytest.approx(
        sum(v["energy_kwh"] for v in EXPECTED[region].values()), rel=1e-5
    )


def test_result_echoes_formula_and_assumptions(config) -> None:
    payload = estimate_usage(ANALYTICS_YAML, region="beta", config=config).to_dict(per_day=True)
    assert payload["region"] == "beta"
    assert payload["region_parameters"] == {
        "carbon_intensity_gco2e_per_kwh": 20.0,
        "pue": 1.2,
        "source": "test",
    }
    assert "emissions_gco2e = energy_kwh × carbon_intensity_gco2e_per_kwh" in payload["formula"]
    chat = next(p for p in payload["profiles"] if p["profile"] == "chat")
    assert chat["assumptions"]["hardware_power_w"] == 400.0
    assert chat["assumptions"]["output_tokens_per_s"] == 50.0
    assert any("PUE" in a for a in payload["assumptions"])
    assert [d["day"] for d in payload["per_day"]] == ["2024-05-01", "2024-05-01", "2024-05-02"]


def test_measured_profile_uses_the_latest_carbon_hook_measurement(config, node_emissions) -> None:
    rows = [{"day": "2024-05-05", "profile": "m1prof", "requests": 250}]
    result = estimate_usage(rows, region="alpha", config=config, node_emissions=node_emissions)
    (rec,) = result.to_dict()["profiles"]
    # latest ok, measured predict_m1 run: r2, 0.004 kWh / 1000 predictions
    assert rec["assumptions"]["it_energy_per_prediction_kwh"] == pytest.approx(4e-6)
    assert rec["energy_kwh"] == pytest.approx(250 * 4e-6 * 1.5)
    assert rec["emissions_gco2e"] == pytest.approx(250 * 4e-6 * 1.5 * 100)
    assert rec["inference_time_s"] == pytest.approx(250 * 2.0 / 1000)
    assert "measured: node predict_m1 run r2" in rec["basis"]


def test_measured_profile_falls_back_without_measurement(config) -> None:
    rows = [{"day": "2024-05-05", "profile": "m1prof", "requests": 250}]
    (rec,) = estimate_usage(rows, config=config).to_dict()["profiles"]
    assert rec["energy_kwh"] == pytest.approx(250 * 2e-6 * 1.5)
    assert rec["basis"].startswith("fallback")


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (
            [{"day": "2024-05-01", "profile": "chat", "requests": -5}],
            "row 1: requests is negative (-5)",
        ),
        (
            [{"day": "2024-05-01", "profile": "gpt", "requests": 5}],
            "unknown profile 'gpt'; known profiles: chat, clf, m1prof",
        ),
        (
            [{"day": "01/05/2024", "profile": "chat", "requests": 5}],
            "is not a date (expected YYYY-MM-DD)",
        ),
        ([{"day": "2024-05-01", "profile": "chat", "requests": 2.5}], "not a whole number"),
        ([{"day": "2024-05-01", "profile": "chat"}], "missing column(s) requests"),
        (
            [{"day": "2024-05-01", "profile": "chat", "requests": 1, "user": "x"}],
            "unexpected column(s) user",
        ),
        (
            [{"day": "2024-05-01", "profile": "chat", "requests": 1, "mean_input_tokens": -1}],
            "mean_input_tokens -1 must be a number ≥ 0",
        ),
        ([], "no rows"),
    ],
)
def test_invalid_analytics_name_the_row_and_field(config, rows, message: str) -> None:
    with pytest.raises(AnalyticsError) as err:
        estimate_usage(rows, config=config)
    assert message in str(err.value)


def test_unknown_region_lists_the_known_ones(config) -> None:
    with pytest.raises(KeyError, match="known regions: alpha, beta"):
        estimate_usage(ANALYTICS_YAML, region="mars", config=config)


def test_row_limit(config) -> None:
    rows = [{"day": "2024-05-01", "profile": "clf", "requests": 1}] * 51
    with pytest.raises(AnalyticsError, match="51 rows, more than the limit of 50") as err:
        estimate_usage(rows, config=config)
    assert err.value.kind == "too_large"


def test_invalid_configuration_names_the_field() -> None:
    bad = {
        "usage": {
            **CONFIG["usage"],
            "profiles": {"x": {"kind": "external", "hardware_power_w": 100, "utilisation": 0.5}},
        }
    }
    with pytest.raises(UsageConfigError, match="give either requests_per_s or input_tokens_per_s"):
        parse_usage_config(bad)
    with pytest.raises(UsageConfigError, match="default_region 'nowhere'"):
        parse_usage_config({"usage": {**CONFIG["usage"], "default_region": "nowhere"}})


def test_project_configuration_loads_and_is_consistent() -> None:
    config = load_usage_config()
    assert config.default_region == "france"
    assert {"france", "germany"} <= set(config.regions)
    assert {p.kind for p in config.profiles.values()} == {"measured", "external"}
    # every measured model names nodes that exist in the registered pipelines
    from kedro.framework.startup import bootstrap_project

    from data_collection_kedro.pipeline_registry import register_pipelines

    bootstrap_project(KEDRO_PROJECT)
    node_names = {n.name for p in register_pipelines().values() for n in p.nodes}
    for model_name, model in config.measured_models.items():
        for node in [model.inference_node, *model.training_nodes]:
            assert node in node_names, f"{model_name}: node {node} not in any pipeline"

    result = estimate_usage(
        [{"day": "2024-01-01", "profile": name, "requests": 1000} for name in config.profiles],
        config=config,
    )
    assert (result.per_profile["energy_kwh"] > 0).all()


def test_usage_section_per_model(config, node_emissions) -> None:
    monitoring = pd.DataFrame(
        {
            "model_name": ["m1", "m1", "m1", "other"],
            "n_predictions": [300, 200, 50, 10],
            "status": ["success", "success", "error", "success"],
        }
    )
    section = build_usage_section(monitoring, node_emissions, config).set_index("model")
    assert list(section.reset_index().columns) == USAGE_SECTION_COLUMNS
    m1 = section.loc["m1"]
    assert m1["predictions"] == 500
    assert m1["energy_per_prediction_kwh"] == pytest.approx(4e-6)
    assert m1["inference_kwh"] == pytest.approx(0.002)
    assert m1["inference_gco2e"] == pytest.approx(0.002 * 50)  # the hook's 50 g/kWh
    assert m1["training_kwh"] == pytest.approx(0.2)  # latest training run
    assert m1["training_gco2e"] == pytest.approx(10.0)
    assert m1["break_even_predictions"] == pytest.approx(50_000)
    other = section.loc["other"]
    assert other["predictions"] == 10 and math.isnan(other["inference_kwh"])
    assert other["basis"] == "not in usage.measured_models"


def test_usage_section_in_french_for_the_dashboard(config, node_emissions) -> None:
    monitoring = pd.DataFrame({"model_name": ["m1", "other"], "n_predictions": [5, 1]})
    english = build_usage_section(monitoring, node_emissions, config).set_index("model")
    french = build_usage_section(monitoring, node_emissions, config, "fr").set_index("model")
    assert french["basis"]["m1"].startswith("mesuré : nœud predict_m1, exécution r2")
    assert french["basis"]["other"] == "absent de usage.measured_models"
    # the figures do not depend on the language
    pd.testing.assert_frame_equal(english.drop(columns="basis"), french.drop(columns="basis"))


def test_usage_section_without_measurements_accepts_kedro_params(node_emissions) -> None:
    monitoring = pd.DataFrame({"model_name": ["m1"], "n_predictions": [5], "status": ["success"]})
    section = build_usage_section(monitoring, None, CONFIG["usage"])
    assert section.loc[0, "predictions"] == 5
    assert math.isnan(section.loc[0, "inference_kwh"])
    assert "no carbon-hook measurement of node predict_m1" in section.loc[0, "basis"]


def test_france_is_the_figure_the_carbon_report_uses() -> None:
    """One place for France's grid: the usage regions name the ISO code, the report's grids and
    CodeCarbon's pricing of the measurements read the same bundled figure."""
    import yaml

    from data_collection_kedro.carbon.grid import country_intensity
    from data_collection_kedro.carbon.summary.config import load_config
    from data_collection_kedro.usage.config import load_usage_config, parse_usage_config
    from tests.support.paths import KEDRO_PROJECT

    france = country_intensity("FRA").g_co2e_per_kwh
    usage = load_usage_config()
    assert usage.region("france")[1].carbon_intensity_gco2e_per_kwh == france
    assert usage.region("on_premise_france")[1].carbon_intensity_gco2e_per_kwh == france
    block = yaml.safe_load(
        (KEDRO_PROJECT / "conf/base/parameters_carbon_summary.yml").read_text(encoding="utf-8")
    )["carbon_summary"]
    grids = {g.name: g.g_co2e_per_kwh for g in load_config(block).grids}
    assert grids["France"] == france
    with pytest.raises(Exception, match="not both"):
        parse_usage_config(
            {
                "default_region": "x",
                "regions": {
                    "x": {"grid_iso": "FRA", "carbon_intensity_gco2e_per_kwh": 52, "pue": 1}
                },
                "profiles": {},
            }
        )
