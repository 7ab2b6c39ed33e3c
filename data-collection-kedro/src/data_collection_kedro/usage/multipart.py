"""One file field of a ``multipart/form-data`` body, parsed in memory with bounded work.

The streaming parser of python-multipart reads the body once (no temporary file, no copy per
part); the number of parts, the headers per part and each header's size are bounded, so a
body of thousands of tiny parts is refused at the first part over the limit instead of being
parsed whole. Errors are :class:`MultipartError` with the HTTP status they call for.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header

MAX_FILENAME_CHARS = 120
MAX_HEADERS_PER_PART = 8


class MultipartError(ValueError):
    """The body cannot be used; ``status``: 400 malformed, 413 too many or too large parts,
    415 not multipart, 422 the field is missing."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class FilePart:
    data: bytes
    filename: str | None
    content_type: str | None


@dataclass
class _Part:
    headers: dict[bytes, bytes] = field(default_factory=dict)
    header_name: bytearray = field(default_factory=bytearray)
    header_value: bytearray = field(default_factory=bytearray)
    name: str | None = None
    filename: str | None = None
    content_type: str | None = None
    chunks: list[bytes] = field(default_factory=list)


def _text(value: bytes | None, limit: int = MAX_FILENAME_CHARS) -> str | None:
    """Header text (UTF-8, else Latin-1) without control characters, cut to ``limit``."""
    if value is None:
        return None
    try:
        text = value.decode("utf-8")
    except UnicodeDecodeError:
        text = value.decode("latin-1")
    text = "".join(ch for ch in text if ch.isprintable())
    return text if len(text) <= limit else text[:limit] + "…"


def read_file_field(
    content_type: str,
    body: bytes,
    field_name: str,
    max_parts: int,
    max_header_bytes: int,
) -> FilePart:
    """The part named ``field_name`` of a ``multipart/form-data`` ``body``.

    Raises:
        MultipartError: not multipart (415), no boundary / malformed / truncated body / the
            field given twice (400), more than ``max_parts`` parts or a part header longer than
            ``max_header_bytes`` (413), the field missing (422).
    """
    kind, options = parse_options_header(content_type)
    if kind != b"multipart/form-data":
        shown = _text(content_type.encode("latin-1", "replace"), 80) or "no content type"
        raise MultipartError(
            415,
            f"expected a multipart/form-data upload with the field {field_name!r}, got {shown!r}",
        )
    boundary = options.get(b"boundary")
    if not boundary:
        raise MultipartError(400, "unreadable multipart body: no boundary in the Content-Type")
    parts: list[_Part] = []
    found: list[_Part] = []
    ended = False

    def current() -> _Part:
        return parts[-1]

    def on_part_begin() -> None:
        if len(parts) >= max_parts:
            raise MultipartError(
                413, f"more than {max_parts} multipart parts (expected the field {field_name!r})"
            )
        parts.append(_Part())

    def on_header_field(data: bytes, start: int, end: int) -> None:
        current().header_name += data[start:end]

    def on_header_value(data: bytes, start: int, end: int) -> None:
        current().header_value += data[start:end]

    def on_header_end() -> None:
        part = current()
        part.headers[bytes(part.header_name).strip().lower()] = bytes(part.header_value).strip()
        part.header_name.clear()
        part.header_value.clear()

    def on_headers_finished() -> None:
        part = current()
        disposition, params = parse_options_header(part.headers.get(b"content-disposition"))
        if disposition != b"form-data":
            raise MultipartError(400, "unreadable multipart body: a part is not form-data")
        part.name = _text(params.get(b"name"))
        part.filename = _text(params.get(b"filename"))
        ctype = part.headers.get(b"content-type")
        part.content_type = _text(ctype, 100) if ctype else None
        if part.name == field_name:
            if found:
                raise MultipartError(400, f"the field {field_name!r} is given twice")
            found.append(part)

    def on_part_data(data: bytes, start: int, end: int) -> None:
        part = current()
        if part.name == field_name:
            part.chunks.append(data[start:end])

    def on_end() -> None:
        nonlocal ended
        ended = True

    try:
        parser = MultipartParser(
            boundary,
            {
                "on_part_begin": on_part_begin,
                "on_header_field": on_header_field,
                "on_header_value": on_header_value,
                "on_header_end": on_header_end,
                "on_headers_finished": on_headers_finished,
                "on_part_data": on_part_data,
                "on_end": on_end,
            },
            max_header_count=MAX_HEADERS_PER_PART,
            max_header_size=max_header_bytes,
        )
        parser.write(body)
        parser.finalize()
    except FormParserError as exc:
        message = str(exc)
        status = 413 if "maximum header" in message.lower() else 400
        raise MultipartError(status, f"unreadable multipart body: {message[:200]}") from None
    if not ended:
        raise MultipartError(400, "unreadable multipart body: truncated (no closing boundary)")
    if not found:
        raise MultipartError(422, f"missing multipart field {field_name!r} (the analytics file)")
    part = found[0]
    return FilePart(b"".join(part.chunks), part.filename, part.content_type)
