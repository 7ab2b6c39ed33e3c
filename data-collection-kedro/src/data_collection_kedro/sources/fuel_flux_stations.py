"""The fuel flux in its regular form, flattened column by column in Arrow.

The flux writes every station the same way, one element a line::

    <pdv id="…" latitude="…" longitude="…" cp="…" pop="…">
      <adresse>…</adresse>
      <ville>…</ville>
      <horaires automate-24-24="…">
        <jour id="…" nom="…" ferme="…"><horaire ouverture="…" fermeture="…"/></jour>…
      </horaires>
      <services><service>…</service>…</services>
      <prix nom="…" id="…" maj="…" valeur="…"/>…
      <rupture id="…" nom="…" debut="…" fin="…" type="…"/>…
    </pdv>

:class:`RegularFlux` reads a document written exactly in that grammar — an XML declaration
(ISO-8859-1 or UTF-8, no DOCTYPE), ``<pdv_liste>``, stations, ``</pdv_liste>`` — without a
Python call per element: the text between two ``</pdv>`` is a station, checked against the
grammar and cut into its fields by RE2 expressions over all the stations of a chunk at once
(``pyarrow.compute``); the lines of the elements come from splitting the stations at their line
breaks. The grammar is a subset of XML in which every document is well formed and reads the same
as through the XML parser: attributes in the flux's order, quoted values and texts without
markup, ``]``, carriage return or any character XML forbids (white space inside a value would be
normalised: refused), references limited to the predefined entities and valid character
references (decoded as the parser decodes them). Anything else raises :class:`NotRegular` and
the caller reads the document with the XML parser instead. The opening hours are encoded to
JSON once per distinct text; the services' JSON lists are joined in Arrow (``json.dumps`` for the
names it would escape).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

# json.dumps(value, ensure_ascii=False) without building an encoder per call (same text)
JSON = json.JSONEncoder(ensure_ascii=False)
# The Arrow work of the flux goes to the system allocator: a flux is read once a run, and the
# default pool (mimalloc) costs ~0.3 s of first-use page faults on it (a day's 13 MB flux: the
# first reading in a process 0.69 s of CPU, 0.39 s with this pool; the next ones alike)
POOL = pa.system_memory_pool()

_W = "[ \t\n]"  # XML white space (no carriage return: the parser counts it as a line break)
_REFERENCE = "&(?:#[0-9]+|#x[0-9a-fA-F]+|amp|lt|gt|quot|apos);"
# an attribute value the parser returns as written (references aside): no white space it would
# normalise, no character XML forbids
_VALUE = f'(?:[^"<&\\x00-\\x1f\\x{{FFFE}}\\x{{FFFF}}]|{_REFERENCE})*'
# a text: no markup, no "]" (a "]]>" is an error), no character XML forbids
_TEXT = f"(?:[^<&\\]\\x00-\\x08\\x0b-\\x1f\\x{{FFFE}}\\x{{FFFF}}]|{_REFERENCE})*"
_PRICE = f'<prix nom="(?P<nom>{_VALUE})" id="(?P<id>{_VALUE})" maj="(?P<maj>{_VALUE})" valeur="(?P<valeur>{_VALUE})"[ \t]*/>'
_SHORTAGE = (
    f'<rupture id="(?P<id>{_VALUE})" nom="(?P<nom>{_VALUE})" debut="(?P<debut>{_VALUE})" '
    f'fin="(?P<fin>{_VALUE})" type="(?P<type>{_VALUE})"[ \t]*/>'
)
_HOURS = (
    f'<horaires(?: automate-24-24="{_VALUE}")?{_W}*>'
    f'(?:{_W}*<jour id="{_VALUE}" nom="{_VALUE}" ferme="{_VALUE}"{_W}*'
    f'(?:/>|>(?:{_W}*<horaire ouverture="{_VALUE}" fermeture="{_VALUE}"{_W}*/>)*{_W}*</jour>))*'
    f"{_W}*</horaires>"
)
_SERVICES = f"<services>(?:{_W}*<service>{_TEXT}</service>)*{_W}*</services>|<services{_W}*/>"


def _unnamed(pattern: str) -> str:
    return re.sub(r"\(\?P<\w+>", "(?:", pattern)


# a station: the text from after a "</pdv>" to the next one (RE2 syntax)
_STATION = (
    f'^{_W}*<pdv id="{_VALUE}" latitude="{_VALUE}" longitude="{_VALUE}" cp="{_VALUE}" '
    f'pop="{_VALUE}"{_W}*>{_W}*(?:<adresse>{_TEXT}</adresse>|<adresse{_W}*/>)'
    f"{_W}*(?:<ville>{_TEXT}</ville>|<ville{_W}*/>)"
    f"(?:{_W}*(?:{_HOURS}))?(?:{_W}*(?:{_SERVICES}))?"
    f"(?:[ \t]*\n[ \t]*(?:{_unnamed(_PRICE)}|{_unnamed(_SHORTAGE)}))*{_W}*$"
)
# the fields of a station known to be in the grammar (values hold no '"', texts no '<')
_FIELDS = (
    f'^(?P<lead>{_W}*)<pdv id="(?P<id>[^"]*)" latitude="(?P<latitude>[^"]*)" '
    f'longitude="(?P<longitude>[^"]*)" cp="(?P<cp>[^"]*)" pop="(?P<pop>[^"]*)"{_W}*>'
    f"{_W}*(?:<adresse>(?P<adresse>[^<]*)</adresse>|<adresse{_W}*/>)"
    f"{_W}*(?:<ville>(?P<ville>[^<]*)</ville>|<ville{_W}*/>)"
)
_START = re.compile(
    rb"(?:<\?xml[ \t\n]+version[ \t\n]*=[ \t\n]*(['\"])1\.0\1"
    rb"(?:[ \t\n]+encoding[ \t\n]*=[ \t\n]*(['\"])([A-Za-z0-9._-]+)\2)?"
    rb"(?:[ \t\n]+standalone[ \t\n]*=[ \t\n]*(['\"])(?:yes|no)\4)?[ \t\n]*\?>)?"
    rb"[ \t\n]*<pdv_liste[ \t\n]*>"
)
_END = re.compile(rb"[ \t\n]*</pdv_liste[ \t\n]*>[ \t\n]*")
_ENCODINGS = {None: "utf-8", "utf-8": "utf-8", "iso-8859-1": "latin-1"}
# Python-side re-reading of the distinct opening hours and services (already checked)
_PY_VALUE = '([^"]*)'
_PY_DAY = re.compile(
    f'<jour id="{_PY_VALUE}" nom="{_PY_VALUE}" ferme="{_PY_VALUE}"{_W}*(?:/>|>(.*?)</jour>)',
    re.S,
)
_PY_HOUR = re.compile(f'<horaire ouverture="{_PY_VALUE}" fermeture="{_PY_VALUE}"')
_PY_AUTOMATE = re.compile(f'^ automate-24-24="{_PY_VALUE}"')
_PY_SERVICE = re.compile("<service>([^<]*)</service>")
_PY_REFERENCE = re.compile(_REFERENCE)
_PREDEFINED = {"&amp;": "&", "&lt;": "<", "&gt;": ">", "&quot;": '"', "&apos;": "'"}
_JSON_ESCAPED = re.compile('["\\\\\x00-\x1f]')  # what json.dumps does not write as it is
# what a service name may not hold for its JSON to be written by joining: what json.dumps
# escapes, a reference, a blank str.strip() removes and ascii_trim_whitespace keeps
_NOT_PLAIN = (
    r'["\\\t\n&\x{85}\x{A0}\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000}]'
)
_NO_TEXT = pa.scalar(None, pa.string())
STATION_COLUMNS = ("id", "latitude", "longitude", "cp", "pop", "adresse", "ville")


class NotRegular(ValueError):
    """The document is not in the flux's regular form (the XML parser reads it)."""


def day(attrs: dict[str, str]) -> tuple[Any, ...]:
    """A ``<jour>``: (id as int or None, nom, closed, its ``horaire`` list)."""
    return (
        int(attrs["id"]) if attrs.get("id", "").isdigit() else None,
        attrs.get("nom"),
        attrs.get("ferme") == "1",
        [],
    )


def hours_json(automate_24_24: bool, days: list[tuple[Any, ...]]) -> str:
    """The ``horaires`` column: the opening hours as JSON."""
    return JSON.encode(
        {
            "automate_24_24": automate_24_24,
            "jours": [
                {
                    "id": day_id,
                    "nom": name,
                    "ferme": closed,
                    "horaires": [{"ouverture": o, "fermeture": c} for o, c in hours],
                }
                for day_id, name, closed, hours in days
            ],
        }
    )


def services_json(services: list[str]) -> str:
    """The ``services`` column: the non-blank service names as a JSON list."""
    if not services:
        return "[]"
    if _JSON_ESCAPED.search("".join(services)):
        return JSON.encode(services)
    return '["' + '", "'.join(services) + '"]'


def _character(reference: re.Match[str]) -> str:
    text = reference[0]
    if text in _PREDEFINED:
        return _PREDEFINED[text]
    code = int(text[3:-1], 16) if text[2] == "x" else int(text[2:-1])
    if not (
        code in (0x9, 0xA, 0xD)
        or 0x20 <= code <= 0xD7FF
        or 0xE000 <= code <= 0xFFFD
        or 0x10000 <= code <= 0x10FFFF
    ):
        raise NotRegular(f"reference to an invalid character {text}")
    return chr(code)


def unescape(text: str) -> str:
    """The text as the XML parser returns it (its references decoded)."""
    return _PY_REFERENCE.sub(_character, text) if "&" in text else text


def _text_column(column: pa.Array, references: bool, name: str = "") -> pa.Array:
    """Attribute values or (``adresse``, ``ville``) stripped texts as the XML parser gives
    them: references decoded (rare: only looked for when the chunk has an "&")."""
    if name in ("adresse", "ville"):
        values = column.to_pylist()
        if references:
            values = [unescape(v) for v in values]
        return pa.array([v.strip() or None for v in values], pa.string(), memory_pool=POOL)
    if (
        not references
        or not pc.any(pc.match_substring(column, "&", memory_pool=POOL), memory_pool=POOL).as_py()
    ):
        return column
    return pa.array(
        [None if v is None else unescape(v) for v in column.to_pylist()],
        pa.string(),
        memory_pool=POOL,
    )


class RegularFlux:
    """Reads a document in the regular form, chunk by chunk (see the module docstring).

    :meth:`feed` takes the next chunk and returns the columns of the stations it completes
    (``None`` when it completes none); :meth:`close` checks the end of the document. Both raise
    :class:`NotRegular` as soon as the document leaves the grammar.
    """

    def __init__(self, max_carry: int = 1 << 20) -> None:
        self._max_carry = max_carry
        self._encoding: str | None = None
        self._carry = b""
        self._line = 1  # line of the first byte of the carry
        self._hours: dict[str, str] = {}
        self._services: dict[str, str] = {}

    def feed(self, chunk: bytes) -> tuple[list[pa.Array], pa.Array] | None:
        data = self._carry + chunk
        if self._encoding is None:
            start = _START.match(data)
            if start is None:
                if len(data) > self._max_carry or b">" in data:
                    raise NotRegular("not the flux's opening")
                self._carry = data
                return None
            name = start[3].decode().lower() if start[3] else None
            if name not in _ENCODINGS:
                raise NotRegular(f"encoding {name}")
            self._encoding = _ENCODINGS[name]
            self._line += data.count(b"\n", 0, start.end())
            data = data[start.end() :]
        end = data.rfind(b"</pdv>")
        if end < 0:
            if len(data) > self._max_carry:
                raise NotRegular("no station end")
            self._carry = data
            return None
        end += len(b"</pdv>")
        region, self._carry = data[:end], data[end:]
        line = self._line
        self._line += region.count(b"\n")
        try:
            text = region.decode(self._encoding)
        except UnicodeDecodeError as exc:
            raise NotRegular(str(exc)) from exc
        return self._columns(text.split("</pdv>")[:-1], line, "&" in text)

    def close(self) -> None:
        if self._encoding is None or _END.fullmatch(self._carry) is None:
            raise NotRegular("not the flux's end")

    def _columns(
        self, stations: list[str], line: int, references: bool
    ) -> tuple[list[pa.Array], pa.Array]:
        """The flat columns (``FLAT_COLUMNS`` + ``EXTRA_COLUMNS`` of the flux) and the lines
        of the rows of ``stations``, whose first character is on line ``line`` (``references``:
        whether their text has an "&")."""
        blocks = pa.array(stations, pa.string(), memory_pool=POOL)
        if not pc.all(
            pc.match_substring_regex(blocks, _STATION, memory_pool=POOL), memory_pool=POOL
        ).as_py():
            raise NotRegular("a station outside the grammar")
        # in the grammar "<" only opens a tag and '"' only delimits a value: the fields are
        # found by plain searches and splits
        fields = pc.extract_regex(blocks, _FIELDS, memory_pool=POOL)
        newlines = _numpy(pc.count_substring(blocks, "\n", memory_pool=POOL))
        first_line = line + np.concatenate(([0], np.cumsum(newlines)[:-1]))
        station_line = first_line + _numpy(
            pc.count_substring(fields.field("lead"), "\n", memory_pool=POOL)
        )
        lines = pc.split_pattern(blocks, "\n", memory_pool=POOL)  # one price or shortage a line
        pieces = lines.flatten()
        parent = _numpy(pc.list_parent_indices(lines, memory_pool=POOL))
        piece_line = first_line[parent] + np.arange(len(pieces)) - _numpy(lines.offsets)[parent]
        is_price = _numpy(pc.match_substring(pieces, "<prix ", memory_pool=POOL))
        is_shortage = _numpy(pc.match_substring(pieces, "<rupture ", memory_pool=POOL))
        element = np.flatnonzero(is_price | is_shortage)
        # a row per element, a row for each station without one, in the document's order
        bare = np.flatnonzero(np.bincount(parent[element], minlength=len(stations)) == 0)
        station = np.concatenate((parent[element], bare))
        piece = np.concatenate((element, np.full(len(bare), -1)))
        order = np.argsort(station, kind="stable")
        station, piece = station[order], piece[order]
        row_line = np.where(piece >= 0, piece_line[piece], station_line[station])
        at_station = pa.array(station, memory_pool=POOL)
        columns = [
            pc.take(
                _text_column(fields.field(name), references, name), at_station, memory_pool=POOL
            )
            for name in STATION_COLUMNS
        ]
        columns += _attribute_columns(pieces, is_price, piece, 4, references)
        hours = _inner(blocks, "horaires")
        columns.append(pc.take(_encoded(hours, self._hours_json), at_station, memory_pool=POOL))
        columns.append(
            pc.take(self._services_column(_inner(blocks, "services")), at_station, memory_pool=POOL)
        )
        shortages = _attribute_columns(pieces, is_shortage, piece, 5, references)
        columns += [shortages[1], shortages[0], *shortages[2:]]  # nom, id, debut, fin, type
        return columns, pa.array(row_line, pa.int64(), memory_pool=POOL)

    def _services_column(self, inner: pa.Array) -> pa.Array:
        """The ``services`` JSON of each station from the text after its ``<services``."""
        listed = pc.starts_with(inner, ">", memory_pool=POOL)
        items = pc.list_slice(
            pc.split_pattern(
                pc.if_else(listed, inner, "", memory_pool=POOL), "<service>", memory_pool=POOL
            ),
            1,
            memory_pool=POOL,
        )
        names = pc.list_element(
            pc.split_pattern(items.flatten(), "</service>", max_splits=1, memory_pool=POOL),
            0,
            memory_pool=POOL,
        )
        if pc.any(
            pc.match_substring_regex(names, _NOT_PLAIN, memory_pool=POOL), memory_pool=POOL
        ).as_py():
            return _encoded(inner, self._services_json)  # escapes, references, other blanks
        names = pc.ascii_trim_whitespace(names, memory_pool=POOL)  # str.strip() on these characters
        kept = _numpy(pc.not_equal(names, "", memory_pool=POOL))
        parent = _numpy(pc.list_parent_indices(items, memory_pool=POOL))[kept]
        counts = np.bincount(parent, minlength=len(inner))
        offsets = np.concatenate(([0], np.cumsum(counts))).astype(np.int32)
        joined = pc.binary_join(
            pa.ListArray.from_arrays(
                pa.array(offsets, memory_pool=POOL),
                pc.filter(names, pa.array(kept, memory_pool=POOL), memory_pool=POOL),
                pool=POOL,
            ),
            '", "',
            memory_pool=POOL,
        )
        texts = pc.if_else(
            pa.array(counts > 0, memory_pool=POOL),
            pc.binary_join_element_wise('["', joined, '"]', "", memory_pool=POOL),
            "[]",
            memory_pool=POOL,
        )
        return pc.if_else(pc.equal(inner, "", memory_pool=POOL), _NO_TEXT, texts, memory_pool=POOL)

    def _hours_json(self, block: str) -> str:
        """The JSON of the opening hours written ``block`` (after ``<horaires``)."""
        value = self._hours.get(block)
        if value is None:
            days = []
            for found in _PY_DAY.finditer(block):
                attrs = {"id": unescape(found[1]), "nom": unescape(found[2])}
                attrs["ferme"] = unescape(found[3])
                try:
                    days.append(day(attrs))
                except ValueError as exc:  # a digit int() refuses ("²"): the parser's error
                    raise NotRegular(str(exc)) from exc
                for hour in _PY_HOUR.finditer(found[4] or ""):
                    days[-1][3].append((unescape(hour[1]), unescape(hour[2])))
            automate = _PY_AUTOMATE.match(block)
            value = hours_json(automate is not None and unescape(automate[1]) == "1", days)
            self._hours[block] = value
            if len(self._hours) > 100_000:  # bounded (the flux has a few hundred)
                self._hours.clear()
        return value

    def _services_json(self, block: str) -> str:
        """The JSON of the services written ``block`` (after ``<services``)."""
        if not block.startswith(">"):  # <services/>
            return "[]"
        value = self._services.get(block)
        if value is None:
            names = [n for found in _PY_SERVICE.findall(block) if (n := unescape(found).strip())]
            value = self._services[block] = services_json(names)
            if len(self._services) > 100_000:  # bounded: most stations have their own list
                self._services.clear()
        return value


def _numpy(values: pa.Array) -> np.ndarray:
    return values.to_numpy(zero_copy_only=False)


def _inner(blocks: pa.Array, tag: str) -> pa.Array:
    """What follows each station's ``<tag`` up to its ``</tag>`` ("" without the element)."""
    marked = pc.binary_join_element_wise(blocks, f"<{tag}</{tag}>", "", memory_pool=POOL)
    after = pc.list_element(
        pc.split_pattern(marked, f"<{tag}", max_splits=1, memory_pool=POOL), 1, memory_pool=POOL
    )
    return pc.list_element(
        pc.split_pattern(after, f"</{tag}>", max_splits=1, memory_pool=POOL), 0, memory_pool=POOL
    )


def _encoded(column: pa.Array, encode: Any) -> pa.Array:
    """``encode`` of each distinct non-empty value of ``column`` ("" gives none)."""
    codes = pc.dictionary_encode(column, memory_pool=POOL)
    texts = [encode(v) if v else None for v in codes.dictionary.to_pylist()]
    return pc.take(pa.array(texts, pa.string(), memory_pool=POOL), codes.indices, memory_pool=POOL)


def _attribute_columns(
    pieces: pa.Array, is_kind: np.ndarray, piece: np.ndarray, count: int, references: bool
) -> list[pa.Array]:
    """The ``count`` attribute values, in order, of the elements of one kind (the lines
    ``is_kind``) for the rows of ``piece`` (null where a row is not of that kind)."""
    lines = pc.filter(pieces, pa.array(is_kind, memory_pool=POOL), memory_pool=POOL)
    values = pc.split_pattern(lines, '"', memory_pool=POOL)  # <prix nom=|Gazole| id=|1| …
    rank = np.cumsum(is_kind) - 1
    of_kind = (piece >= 0) & is_kind[np.maximum(piece, 0)]
    at = pa.array(np.where(of_kind, rank[np.maximum(piece, 0)], 0), mask=~of_kind, memory_pool=POOL)
    return [
        _text_column(
            pc.take(pc.list_element(values, 2 * i + 1, memory_pool=POOL), at, memory_pool=POOL),
            references,
        )
        for i in range(count)
    ]


def iter_regular_columns(
    chunks: Iterator[bytes],
) -> Iterator[tuple[list[pa.Array], pa.Array]]:
    """The columns and lines of a regular document, chunk by chunk (:class:`RegularFlux`)."""
    reader = RegularFlux()
    for chunk in chunks:
        columns = reader.feed(chunk)
        if columns is not None:
            yield columns
    reader.close()
