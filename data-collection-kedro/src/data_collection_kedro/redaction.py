"""The one place that removes credentials from what the project shows or writes.

:func:`redact` masks, in any text (a URI, an error message, a log line, a report), the
password of every ``scheme://user:password@host`` (``user:***@``), the user part when it stands
alone (``***@``: a token), and the value of secret parameters (``apikey=***``, ``password=***``:
query strings and ``key=value`` connection strings). Everything that displays or records a URI
(dataset descriptions, log records, MLflow tags and parameters, the carbon report, the dashboard,
error messages) goes through it; :class:`RedactingFilter` applies it to log records.
"""

from __future__ import annotations

import logging
import re
import traceback
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

MASK = "***"
#: parameter names whose value is a secret (compared lower-case)
SECRET_PARAMS = frozenset(
    {
        "apikey",
        "api_key",
        "key",
        "token",
        "access_token",
        "auth",
        "password",
        "passwd",
        "pwd",
        "secret",
        "client_secret",
        "signature",
        "sig",
        "x-amz-signature",
        "x-amz-credential",
        "x-amz-security-token",
        "tlscertificatekeyfilepassword",
    }
)

# scheme://userinfo@ : the user info runs to the LAST "@" before the host part ends, so a
# password holding an unescaped "@" is masked whole
_USERINFO = re.compile(r"(?P<scheme>\b[A-Za-z][A-Za-z0-9+.\-]*://)(?P<userinfo>[^\s/?#'\"<>]*)@")
#: of these, the names also masked outside a query string (``password=... host=...`` strings)
SECRET_WORDS = frozenset(
    {"api_key", "apikey", "access_token", "client_secret", "password", "passwd", "pwd", "secret"}
)


def _alternatives(names: frozenset[str]) -> str:
    return "|".join(re.escape(name) for name in sorted(names, key=len, reverse=True))


_QUERY_PARAMS = re.compile(
    rf"(?P<lead>[?&;](?:{_alternatives(SECRET_PARAMS)})=)(?P<value>[^&;#\s'\"<>]+)", re.IGNORECASE
)
_WORD_PARAMS = re.compile(  # password=x, password: x, 'password': 'x' (a mapping's repr)
    rf"(?P<lead>(?:^|(?<=[\s,({{'\"]))(?:{_alternatives(SECRET_WORDS)})['\"]?\s*[=:]\s*['\"]?)"
    r"(?P<value>[^&;,\s'\")}]+)",
    re.IGNORECASE,
)


def _mask_userinfo(match: re.Match[str]) -> str:
    user, colon, _ = match.group("userinfo").partition(":")
    shown = f"{user}:{MASK}" if colon else MASK
    return f"{match.group('scheme')}{shown}@"


def redact(value: Any) -> str:
    """``str(value)`` with the credentials of every URI and secret parameter masked."""
    text = str(value)
    if "@" in text:
        text = _USERINFO.sub(_mask_userinfo, text)
    if "=" in text or ":" in text:
        for pattern in (_QUERY_PARAMS, _WORD_PARAMS):
            text = pattern.sub(lambda m: f"{m.group('lead')}{MASK}", text)
    return text


def redact_url(url: str, params: Mapping[str, Any] | None = None) -> str:
    """``url`` with ``params`` added to its query (None values left out), the secret
    parameters' values and the user info masked, the fragment dropped (the URL a source request
    went to, as shown in messages and stored with its rows)."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    if params:
        query += [(k, str(v)) for k, v in params.items() if v is not None]
    query = [(k, MASK if k.lower() in SECRET_PARAMS else v) for k, v in query]
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, _, host = netloc.rpartition("@")
        user, colon, _ = userinfo.partition(":")
        netloc = f"{user}:{MASK}@{host}" if colon else f"{MASK}@{host}"
    return urlunsplit((parts.scheme, netloc, parts.path, urlencode(query, safe="',:/*"), ""))


class RedactingFilter(logging.Filter):
    """A handler filter that passes every record through :func:`redact` (message, arguments
    and, when it holds a secret, the traceback, then rendered as text)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: leave it to the handler
            return True
        safe = redact(message)
        if record.exc_info and record.exc_info[1] is not None:
            details = "".join(traceback.format_exception(*record.exc_info))
            safe_details = redact(details)
            if safe_details != details:
                safe = f"{safe}\n{safe_details.rstrip()}"
                record.exc_info = None
                record.exc_text = None
        if safe != message:
            record.msg, record.args = safe, None
        return True


def install_log_redaction() -> None:
    """Add a :class:`RedactingFilter` to every handler of every configured logger (once)."""
    loggers = [logging.getLogger()] + [
        item
        for item in logging.Logger.manager.loggerDict.values()
        if isinstance(item, logging.Logger)
    ]
    for logger in loggers:
        for handler in logger.handlers:
            if not any(isinstance(f, RedactingFilter) for f in handler.filters):
                handler.addFilter(RedactingFilter())
