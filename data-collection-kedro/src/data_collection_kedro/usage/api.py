"""REST service of the usage footprint (``make usage-api``; OpenAPI docs at ``/docs``).

``POST /energy?region=france[&per_day=true]`` with the multipart field ``analytics_file``
(YAML or CSV: ``day, profile, requests[, mean_input_tokens, mean_output_tokens]``)::

    curl -X POST "http://127.0.0.1:8000/energy?region=france" \\
         -F "analytics_file=@daily-analytics.yaml"

The service is stateless and never stores the analytics (they can be sensitive): the request
body is read into memory up to the configured size limit and parsed there — no temporary file,
no log of its content. Measured profiles use the carbon hook's latest measurement of their
model's inference node (the project's ``emissions_nodes.csv``; the response's ``measurements``
says which). Errors: 400 unreadable file, 408 body not received in time, 413 too large (size,
multipart parts, processing time), 415 not multipart, 422 invalid values (negative counts,
unknown profile or region — the known ones are listed).

Every request's work is bounded: the body is received within ``limits.upload_timeout_s``;
multipart parsing, the analytics and the computation run in a worker thread (never on the
event loop: ``/health`` answers while a heavy request is computed), within
``limits.processing_timeout_s``, at most ``limits.workers`` at a time; messages echo no value
longer than a few dozen characters.
"""

from __future__ import annotations

import asyncio
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from data_collection_kedro.usage.analytics import (
    AnalyticsError,
    cut,
    detect_format,
    parse_analytics,
)
from data_collection_kedro.usage.config import UsageConfig, load_usage_config
from data_collection_kedro.usage.footprint import estimate
from data_collection_kedro.usage.measurements import NodeMeasurementsCache
from data_collection_kedro.usage.multipart import MultipartError, read_file_field

FIELD = "analytics_file"
MULTIPART_OVERHEAD_BYTES = 64 * 1024  # boundaries and part headers around the file
ANALYTICS_STATUS = {"malformed": 400, "too_large": 413, "too_slow": 413}


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
    measurements: str | None = Field(
        default=None, description="which carbon-hook measurements the measured profiles used"
    )
    formula: str
    assumptions: list[str]
    profiles: list[ProfileResult]
    totals: Totals
    per_day: list[DayResult] | None = Field(default=None, description="only with per_day=true")


class ErrorResponse(BaseModel):
    detail: str
    problems: list[str] = Field(default_factory=list)
    more_problems: int | None = Field(default=None, description="problems not listed")
    known_regions: list[str] | None = None
    known_profiles: list[str] | None = None


class RegionsResponse(BaseModel):
    default_region: str
    regions: dict[str, RegionParameters]


ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorResponse, "description": "unreadable analytics file"},
    408: {"model": ErrorResponse, "description": "request body not received in time"},
    413: {
        "model": ErrorResponse,
        "description": "analytics file too large, too many multipart parts, or too long to process",
    },
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


async def read_body(request: Request, limit: int, timeout_s: float) -> bytes:
    """The request body, in memory, refused (413) as soon as it exceeds ``limit`` bytes and
    (408) when it is not received within ``timeout_s`` seconds."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise RequestProblem(
            413, f"request body of {cut(declared, 20)} bytes exceeds {limit} bytes"
        )

    async def receive() -> bytes:
        chunks: list[bytes] = []
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise RequestProblem(413, f"request body exceeds {limit} bytes")
            chunks.append(chunk)
        return b"".join(chunks)

    try:
        return await asyncio.wait_for(receive(), timeout_s)
    except TimeoutError:
        raise RequestProblem(408, f"request body not received within {timeout_s:g} s") from None


def compute(
    content_type: str,
    body: bytes,
    config: UsageConfig,
    region: str,
    per_day: bool,
    measurements: NodeMeasurementsCache,
    deadline: float,
) -> dict[str, Any]:
    """The response of ``POST /energy`` (runs in a worker thread): multipart, analytics,
    footprint; every refusal is a :class:`RequestProblem` (4xx)."""
    limits = config.limits
    try:
        upload = read_file_field(
            content_type, body, FIELD, limits.max_multipart_parts, limits.max_part_header_bytes
        )
    except MultipartError as exc:
        raise RequestProblem(exc.status, str(exc)) from None
    fmt = detect_format(upload.filename, upload.content_type, upload.data)
    source = upload.filename or FIELD
    try:
        analytics = parse_analytics(upload.data, config, fmt=fmt, source=source, deadline=deadline)
        nodes = measurements.get()
        result = estimate(analytics, config, region, nodes.frame)
        result.measurements = nodes.note
    except AnalyticsError as exc:
        known = list(config.profiles) if any("unknown profile" in p for p in exc.problems) else None
        raise RequestProblem(
            ANALYTICS_STATUS.get(exc.kind, 422),
            str(exc),
            problems=exc.problems,
            more_problems=exc.uncounted or None,
            known_profiles=known,
        ) from None
    except ValueError as exc:
        raise RequestProblem(422, cut(str(exc), 500)) from None
    return result.to_dict(per_day=per_day)


class Workers:
    """The threads computing ``POST /energy`` and the time limit of a request."""

    def __init__(self, workers: int, timeout_s: float) -> None:
        self.timeout_s = timeout_s
        self._workers = workers
        self._executor: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()

    def _pool(self) -> ThreadPoolExecutor:
        with self._lock:  # created at first use, again after a shutdown (app restarted)
            if self._executor is None:
                self._executor = ThreadPoolExecutor(
                    max_workers=self._workers, thread_name_prefix="usage-energy"
                )
            return self._executor

    async def run(self, job: Any) -> Any:
        """``job(deadline)`` in a worker; 413 when it runs past the time limit, 503 when no
        worker became free in time."""
        deadline = time.monotonic() + self.timeout_s
        started = threading.Event()

        def task() -> Any:
            started.set()
            return job(deadline)

        future = asyncio.get_running_loop().run_in_executor(self._pool(), task)
        try:
            return await asyncio.wait_for(asyncio.shield(future), self.timeout_s)
        except TimeoutError:
            if not started.is_set():
                future.cancel()
                raise RequestProblem(
                    503, "the service is busy: no worker was free in time, retry later"
                ) from None
            # the rows loop checks the deadline and stops; its result is discarded
            raise RequestProblem(
                413,
                f"the analytics file took longer than {self.timeout_s:g} s to process; split it",
            ) from None

    def shutdown(self) -> None:
        with self._lock:
            if self._executor is not None:
                self._executor.shutdown(wait=False, cancel_futures=True)
                self._executor = None


def create_app(
    config: UsageConfig | None = None, node_emissions: Path | str | None = None
) -> FastAPI:
    """The FastAPI application (``config`` defaults to the project's usage configuration,
    ``node_emissions`` to the project's ``emissions_nodes.csv``)."""
    cfg = config or load_usage_config()
    limits = cfg.limits
    measurements = NodeMeasurementsCache(node_emissions)
    workers = Workers(limits.workers, limits.processing_timeout_s)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> Any:
        yield
        workers.shutdown()

    app = FastAPI(
        title="EnergieWatch usage footprint",
        version="1.0.0",
        description=(__doc__ or "").split("\n\n", 1)[1],
        lifespan=lifespan,
    )

    @app.exception_handler(RequestProblem)
    async def _problem(request: Request, exc: RequestProblem) -> JSONResponse:
        headers = {"Retry-After": "5"} if exc.status == 503 else None
        return JSONResponse(exc.body, status_code=exc.status, headers=headers)

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
                422, f"unknown region {cut(repr(region), 60)}", known_regions=list(cfg.regions)
            ) from None
        body = await read_body(
            request, limits.max_upload_bytes + MULTIPART_OVERHEAD_BYTES, limits.upload_timeout_s
        )
        job = partial(
            compute,
            request.headers.get("content-type", ""),
            body,
            cfg,
            region_name,
            per_day,
            measurements,
        )
        result: dict[str, Any] = await workers.run(job)
        return result

    return app


app = create_app()
