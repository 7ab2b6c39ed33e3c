"""The usage-footprint configuration (``conf/base/parameters_usage.yml``, key ``usage``).

Loadable inside Kedro (``params:usage``) and outside it (CLI, REST service) from a plain YAML
file: ``--config`` / ``ENERGIEWATCH_USAGE_CONFIG``, else the project's
``conf/base/parameters_usage.yml``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from data_collection_kedro.carbon.grid import GridError, grid_intensity

CONFIG_ENV = "ENERGIEWATCH_USAGE_CONFIG"
DEFAULT_CONFIG = Path(__file__).resolve().parents[3] / "conf" / "base" / "parameters_usage.yml"

PositiveFloat = Annotated[float, Field(gt=0)]
NonNegativeFloat = Annotated[float, Field(ge=0)]


class UsageConfigError(ValueError):
    """The configuration file is missing or invalid (the message names the file and field)."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Region(_Strict):
    """A region's grid and data-centre overhead. ``grid_iso`` (ISO 3166 alpha-3) takes the
    intensity CodeCarbon prices the carbon hook's measurements with
    (:func:`data_collection_kedro.carbon.grid.grid_intensity`), so the usage footprint and the
    carbon report use the same figure; otherwise ``carbon_intensity_gco2e_per_kwh`` is given."""

    carbon_intensity_gco2e_per_kwh: NonNegativeFloat
    pue: Annotated[float, Field(ge=1.0)]
    source: str = ""
    grid_iso: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _grid_figure(cls, data: Any) -> Any:
        if not isinstance(data, Mapping) or not data.get("grid_iso"):
            return data
        if data.get("carbon_intensity_gco2e_per_kwh") is not None:
            raise ValueError("give grid_iso or carbon_intensity_gco2e_per_kwh, not both")
        try:
            grid = grid_intensity(str(data["grid_iso"]), str(data["grid_iso"]))
        except GridError as exc:
            raise ValueError(str(exc)) from None
        source = f"{grid.source}" + (f"; {data['source']}" if data.get("source") else "")
        return {**data, "carbon_intensity_gco2e_per_kwh": grid.g_co2e_per_kwh, "source": source}


class MeasuredModel(_Strict):
    """One of EnergieWatch's models as the carbon hook measures it."""

    training_nodes: list[str] = Field(default_factory=list)
    inference_node: str
    predictions_per_run: Annotated[int, Field(gt=0)]


class MeasuredProfile(_Strict):
    kind: Literal["measured"]
    model: str
    description: str = ""
    fallback_energy_per_prediction_kwh: NonNegativeFloat | None = None
    fallback_seconds_per_prediction: NonNegativeFloat | None = None


class ExternalProfile(_Strict):
    """A model served elsewhere, described by its hardware and throughput."""

    kind: Literal["external"]
    description: str = ""
    hardware_power_w: PositiveFloat
    utilisation: Annotated[float, Field(gt=0, le=1)]
    concurrency: PositiveFloat = 1.0
    requests_per_s: PositiveFloat | None = None
    input_tokens_per_s: PositiveFloat | None = None
    output_tokens_per_s: PositiveFloat | None = None
    mean_input_tokens: NonNegativeFloat = 0.0
    mean_output_tokens: NonNegativeFloat = 0.0

    @model_validator(mode="after")
    def _one_throughput(self) -> ExternalProfile:
        tokens = self.input_tokens_per_s is not None or self.output_tokens_per_s is not None
        if tokens == (self.requests_per_s is not None):
            raise ValueError("give either requests_per_s or input_tokens_per_s/output_tokens_per_s")
        if tokens and (self.output_tokens_per_s is None and self.mean_output_tokens > 0):
            raise ValueError("mean_output_tokens > 0 needs output_tokens_per_s")
        if tokens and (self.input_tokens_per_s is None and self.mean_input_tokens > 0):
            raise ValueError("mean_input_tokens > 0 needs input_tokens_per_s")
        return self

    @property
    def token_based(self) -> bool:
        return self.requests_per_s is None


Profile = Annotated[MeasuredProfile | ExternalProfile, Field(discriminator="kind")]


class Limits(_Strict):
    """Bounds of an analytics upload and of the work the REST service spends on a request."""

    max_upload_bytes: Annotated[int, Field(gt=0)] = 1_048_576
    max_rows: Annotated[int, Field(gt=0)] = 100_000
    max_requests_per_row: Annotated[int, Field(gt=0)] = 10**12
    max_tokens_per_request: Annotated[float, Field(gt=0)] = 10_000_000
    # REST service: multipart parts and part headers, time to receive the body, time to
    # compute, requests computed at once (the others wait for a worker within the time limit)
    max_multipart_parts: Annotated[int, Field(gt=0)] = 8
    max_part_header_bytes: Annotated[int, Field(gt=0)] = 8192
    upload_timeout_s: PositiveFloat = 30.0
    processing_timeout_s: PositiveFloat = 20.0
    workers: Annotated[int, Field(gt=0)] = 2


class UsageConfig(_Strict):
    default_region: str
    regions: dict[str, Region]
    measured_models: dict[str, MeasuredModel] = Field(default_factory=dict)
    profiles: dict[str, Profile]
    limits: Limits = Limits()

    @model_validator(mode="after")
    def _references(self) -> UsageConfig:
        if self.default_region not in self.regions:
            raise ValueError(
                f"default_region {self.default_region!r} is not one of {sorted(self.regions)}"
            )
        for name, profile in self.profiles.items():
            if isinstance(profile, MeasuredProfile) and profile.model not in self.measured_models:
                raise ValueError(
                    f"profile {name!r}: model {profile.model!r} is not in measured_models "
                    f"({sorted(self.measured_models)})"
                )
        return self

    def region(self, name: str | None) -> tuple[str, Region]:
        """``(name, Region)``; the default region for None; KeyError listing the known ones."""
        key = (name or self.default_region).strip().lower()
        if key not in self.regions:
            raise KeyError(f"unknown region {name!r}; known regions: {', '.join(self.regions)}")
        return key, self.regions[key]


def parse_usage_config(data: Mapping[str, Any], source: str = "<config>") -> UsageConfig:
    """A validated :class:`UsageConfig` from ``{"usage": {...}}`` or the inner mapping."""
    inner = data.get("usage", data) if isinstance(data, Mapping) else data
    try:
        return UsageConfig.model_validate(inner)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
        )
        raise UsageConfigError(f"{source}: invalid usage configuration: {problems}") from exc


def config_path(path: str | Path | None = None) -> Path:
    """``path``, else ``$ENERGIEWATCH_USAGE_CONFIG``, else the project's parameters file."""
    return Path(path or os.environ.get(CONFIG_ENV) or DEFAULT_CONFIG)


def load_usage_config(path: str | Path | None = None) -> UsageConfig:
    """Read and validate the configuration file (see :func:`config_path`)."""
    file = config_path(path)
    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UsageConfigError(f"{file}: cannot read the usage configuration ({exc})") from exc
    except yaml.YAMLError as exc:
        raise UsageConfigError(f"{file}: not valid YAML ({exc})") from exc
    if not isinstance(data, Mapping):
        raise UsageConfigError(f"{file}: expected a mapping with a 'usage' key")
    return parse_usage_config(data, str(file))
