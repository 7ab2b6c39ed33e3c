"""REST service of the usage footprint (``make usage-api``; OpenAPI docs at ``/docs``).

``POST /energy?region=france[&per_day=true]`` with the multipart field ``analytics_file``
(YAML or CSV: ``day, profile, requests[, mean_input_tokens, mean_output_tokens]``)::

    curl -X POST "http://127.0.0.1:8000/energy?region=france" \\
         -F "analytics_file=@daily-analytics.yaml"

The service is stateless and never stores the analytics (they can be sensitive): the request
body is read into memory up to the configured size limit and parsed there — no temporary file,
no log of its content. Errors: 400 unreadable file, 413 too large, 415 not multipart, 422
invalid values (negative counts, unknown profile or region — the known ones are listed).
"""

from __future__ import annotations

import email.parser
import email.policy
from datetime import date
from typing import Any

from fastapi import FastAPI, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from data_collection_kedro.usage.analytics import AnalyticsError, detect_format, parse_analytics
from data_collection_kedro.usage.config import UsageConfig, load_usage_config
from data_collection_kedro.usage.footprint import estimate

FIELD = "analytics_file"
MULTIPART_OVERHEAD_BYTES = 64 * 1024  # boundaries and part headers around the file


class RegionParameters(BaseModel):
    carbon_intensity_gco2e_per_kwh: float
    pue: float
    source: str


class ProfileResult(BaseModel):
    profile: str
    kind: str
    total_inferences: int
    inference_time_s: float | None = None
    energy_kwh: float
    emissions_gco2e: float
    energy_per_inference_kwh: float | None = None
    basis: str
    assumptions: dict[str, Any]


class DayResult(BaseModel):
    day: date
    profile: str
    requests: int
    inference_time_s: float | None = None
    it_energy_kwh: float
    energy_kwh: float
    emissions_gco2e: float


class Totals(BaseModel):
    total_inferences: int
    inference_time_s: float
    energy_kwh: float
    emissions_gco2e: float


class EnergyResponse(BaseModel):
    region: str
    region_parameters: RegionParameters
    formula: str
    assumptions: list[str]
    profiles: list[ProfileResult]
    totals: Totals
    per_day: list[DayResult] | None = Field(default=None, description="only with per_day=true")


class ErrorResponse(BaseModel):
    detail: str
    problems: list[str] = Field(default_factory=list)
    known_regions: list[str] | None = None
    known_profiles: list[str] | None = None


class RegionsResponse(BaseModel):
    default_region: str
    regions: dict[str, RegionParameters]


ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorResponse, "description": "unreadable analytics file"},
    413: {"model": ErrorResponse, "description": "analytics file too large"},
    415: {"model": ErrorResponse, "description": "not a multipart/form-data request"},
    422: {"model": ErrorResponse, "description": "invalid values, unknown region or profile"},
}
REQUEST_BODY = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": [FIELD],
                "properties": {
                    FIELD: {
                        "type": "string",
                        "format": "binary",
                        "description": "YAML or CSV: day, profile, requests[, mean_input_tokens, "
                        "mean_output_tokens]",
                    }
                },
            }
        }
    },
}


class RequestProblem(Exception):
    def __init__(self, status: int, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.status = status
        self.body = ErrorResponse(detail=detail, **extra).model_dump(exclude_none=True)


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, in memory, refused (413) as soon as it exceeds ``limit`` bytes."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise RequestProblem(413, f"request body of {declared} bytes exceeds {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise RequestProblem(413, f"request body exceeds {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def multipart_file(content_type: str, body: bytes) -> tuple[bytes, str | None, str | None]:
    """``(bytes, filename, content type)`` of the ``analytics_file`` part, parsed in memory."""
    if not content_type.lower().startswith("multipart/form-data"):
        raise RequestProblem(
            415,
            f"expected a multipart/form-data upload with the field {FIELD!r}, got "
            f"{content_type or 'no content type'!r}",
        )
    try:
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body
        )
    except (UnicodeEncodeError, ValueError, TypeError) as exc:
        raise RequestProblem(400, f"unreadable multipart body: {exc}") from exc
    if not message.is_multipart():
        raise RequestProblem(400, "unreadable multipart body (no boundary or no parts)")
    for part in message.iter_parts():
        if part.get_param("name", header="content-disposition") != FIELD:
            continue
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else str(payload or "").encode("utf-8")
        return data, part.get_filename(), part.get_content_type()
    raise RequestProblem(422, f"missing multipart field {FIELD!r} (the analytics file)")


def create_app(config: UsageConfig | None = None) -> FastAPI:
    """The FastAPI application (``config`` defaults to the project's usage configuration)."""
    cfg = config or load_usage_config()
    app = FastAPI(
        title="EnergieWatch usage footprint",
        version="1.0.0",
        description=(__doc__ or "").split("\n\n", 1)[1],
    )

    @app.exception_handler(RequestProblem)
    async def _problem(request: Request, exc: RequestProblem) -> JSONResponse:
        return JSONResponse(exc.body, status_code=exc.status)

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/regions", response_model=RegionsResponse)
    def regions() -> RegionsResponse:
        return RegionsResponse(
            default_region=cfg.default_region,
            regions={k: RegionParameters(**v.model_dump()) for k, v in cfg.regions.items()},
        )

    @app.get("/profiles")
    def profiles() -> dict[str, dict[str, Any]]:
        return {k: p.model_dump(exclude_none=True) for k, p in cfg.profiles.items()}

    @app.post(
        "/energy",
        response_model=EnergyResponse,
        response_model_exclude_none=True,
        responses=ERRORS,
        openapi_extra={"requestBody": REQUEST_BODY},
        summary="Energy (kWh) and emissions (gCO2e) per profile of an analytics file",
    )
    async def energy(
        request: Request,
        region: str | None = Query(
            None, description=f"one of {', '.join(cfg.regions)} (default {cfg.default_region})"
        ),
        per_day: bool = Query(False, description="include the per-day detail"),
    ) -> dict[str, Any]:
        try:
            region_name, _ = cfg.region(region)
        except KeyError:
            raise RequestProblem(
                422, f"unknown region {region!r}", known_regions=list(cfg.regions)
            ) from None
        limit = cfg.limits.max_upload_bytes
        body = await read_body(request, limit + MULTIPART_OVERHEAD_BYTES)
        data, filename, part_type = multipart_file(request.headers.get("content-type", ""), body)
        fmt = detect_format(filename, part_type, data)
        try:
            analytics = parse_analytics(data, cfg, fmt=fmt, source=filename or FIELD)
            result = estimate(analytics, cfg, region_name)
        except AnalyticsError as exc:
            status = {"malformed": 400, "too_large": 413}.get(exc.kind, 422)
            known = (
                list(cfg.profiles) if any("unknown profile" in p for p in exc.problems) else None
            )
            raise RequestProblem(
                status, str(exc), problems=exc.problems, known_profiles=known
            ) from None
        except ValueError as exc:
            raise RequestProblem(422, str(exc)) from None
        return result.to_dict(per_day=per_day)

    return app


app = create_app()
