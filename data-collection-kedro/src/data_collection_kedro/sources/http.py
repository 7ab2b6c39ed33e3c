"""HTTP for the live sources: timeouts, retries with exponential backoff, clear errors.

Every live client goes through :class:`HttpClient`:

* a (connect, read) timeout on every request;
* retries with exponential backoff (tenacity) on HTTP 429 / 5xx, connection errors, timeouts
  and bodies cut mid-transfer, honouring the server's ``Retry-After`` (seconds or HTTP date);
* an error that names the request (URL **without secrets**: user info and key/token query
  parameters are removed), the context given by the caller (dataset id, page offset), the
  last status and the start of the body, once the retries are used up.
"""

from __future__ import annotations

import email.utils
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import requests
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
)

from data_collection_kedro.redaction import redact_url
from data_collection_kedro.sources.errors import SourceError

logger = logging.getLogger(__name__)

USER_AGENT = "EnergieWatch (+https://github.com/energiewatch/energiewatch)"
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


class SourceHTTPError(SourceError):
    """HTTP failure: a non-retryable status, or retries exhausted."""


class SourceFormatError(SourceError):
    """The body is not what the API promises: invalid JSON, truncated page, wrong shape."""


class SchemaDriftError(SourceError):
    """A field the pipeline needs is missing from the source."""


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try: ``attempts`` in total, waits ``initial_s * 2**n`` capped at ``max_s``."""

    attempts: int = 5
    initial_s: float = 1.0
    max_s: float = 60.0

    @classmethod
    def from_config(cls, config: Mapping[str, Any] | None) -> RetryPolicy:
        config = dict(config or {})
        return cls(
            attempts=int(config.get("attempts", cls.attempts)),
            initial_s=float(config.get("initial_s", cls.initial_s)),
            max_s=float(config.get("max_s", cls.max_s)),
        )


class _RetryableError(Exception):
    """Internal: a failed attempt worth another try."""

    def __init__(self, message: str, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


def _read_bounded(response: requests.Response, max_bytes: int, what: str) -> None:
    """Read the body of a streamed response into it, failing beyond ``max_bytes``."""
    announced = response.headers.get("Content-Length", "")
    too_large = f"{what}: body larger than the limit of {max_bytes:,} bytes"
    if announced.isdigit() and int(announced) > max_bytes:
        response.close()
        raise SourceFormatError(f"{too_large} (Content-Length {int(announced):,})")
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_content(chunk_size=1 << 16):
        size += len(chunk)
        if size > max_bytes:
            response.close()
            raise SourceFormatError(too_large)
        chunks.append(chunk)
    response._content = b"".join(chunks)  # what requests itself stores for a read body


def _body_excerpt(response: requests.Response, limit: int = 300) -> str:
    text = response.text[:limit].replace("\n", " ").strip()
    return f": {text}" if text else ""


class HttpClient:
    """GET with timeouts and retries; see the module docstring."""

    def __init__(
        self,
        timeout_s: tuple[float, float] | float = (10.0, 120.0),
        retry: RetryPolicy | Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.timeout_s: tuple[float, float] | float = (
            (float(timeout_s[0]), float(timeout_s[1]))
            if isinstance(timeout_s, list | tuple)
            else float(timeout_s)
        )
        self.retry = retry if isinstance(retry, RetryPolicy) else RetryPolicy.from_config(retry)
        self.session = session or requests.Session()
        self.session.headers.update({"User-Agent": USER_AGENT, **dict(headers or {})})
        self._sleep = sleep

    def _wait(self, state: RetryCallState) -> float:
        backoff = min(self.retry.max_s, self.retry.initial_s * 2 ** (state.attempt_number - 1))
        exc = state.outcome.exception() if state.outcome else None
        retry_after = getattr(exc, "retry_after_s", None)
        if retry_after is not None:
            return min(self.retry.max_s, max(retry_after, 0.0))
        return backoff

    def get(
        self,
        url: str,
        params: Mapping[str, Any] | None = None,
        context: str = "",
        max_bytes: int | None = None,
    ) -> requests.Response:
        """The response of a successful GET (2xx), its body fully read.

        ``max_bytes`` bounds the body: a longer one (announced or received) fails with a
        :class:`SourceFormatError` naming the limit, after reading at most ``max_bytes + 1``
        bytes (a hostile or runaway download never fills the memory).
        """
        shown = redact_url(url, params)
        where = f" ({context})" if context else ""

        def attempt() -> requests.Response:
            try:
                response = self.session.get(
                    url, params=params, timeout=self.timeout_s, stream=max_bytes is not None
                )
                if max_bytes is not None and response.status_code < 400:
                    _read_bounded(response, max_bytes, f"GET {shown}{where}")
            except (
                requests.ConnectionError,
                requests.Timeout,
                requests.exceptions.ChunkedEncodingError,
                requests.exceptions.ContentDecodingError,
            ) as exc:
                raise _RetryableError(f"{type(exc).__name__}: {exc}") from exc
            if response.status_code in RETRY_STATUSES:
                raise _RetryableError(
                    f"HTTP {response.status_code} {response.reason}{_body_excerpt(response)}",
                    parse_retry_after(response.headers.get("Retry-After")),
                )
            if response.status_code >= 400:
                raise SourceHTTPError(
                    f"GET {shown}{where} failed: HTTP {response.status_code} "
                    f"{response.reason}{_body_excerpt(response)}"
                )
            return response

        def log_retry(state: RetryCallState) -> None:
            exc = state.outcome.exception() if state.outcome else None
            logger.warning(
                "GET %s%s: %s; retry %d/%d in %.1f s",
                shown,
                where,
                exc,
                state.attempt_number,
                self.retry.attempts - 1,
                state.upcoming_sleep,
            )

        retrying = Retrying(
            stop=stop_after_attempt(max(1, self.retry.attempts)),
            wait=self._wait,
            retry=retry_if_exception_type(_RetryableError),
            before_sleep=log_retry,
            sleep=self._sleep,
            reraise=True,
        )
        try:
            return retrying(attempt)
        except _RetryableError as exc:
            raise SourceHTTPError(
                f"GET {shown}{where} failed after {self.retry.attempts} attempts: {exc}"
            ) from exc
