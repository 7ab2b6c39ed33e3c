"""A loopback stand-in for an Elasticsearch 9 node, for client-boundary tests.

No Elasticsearch server runs in this environment, so the REAL ``elasticsearch`` client talks to a
``pytest-httpserver`` that answers the handful of APIs the index dataset uses (index create/get/
delete, mappings, aliases, bulk, refresh, scroll search, delete by query) with ES 9 response bodies and headers
(``X-Elastic-Product: Elasticsearch``, ``application/vnd.elasticsearch+json;compatible-with=9``).
It keeps a small in-memory state so that a save followed by a load behaves like a real node, and
records every request for assertions. The same tests run against a real server when
``ELASTICSEARCH_URL`` is set.

Index lifecycle (append-only logs): ILM policies and index templates are stored; a new index
takes the mappings and settings of the highest-priority template matching its name; aliases
keep their write index (``is_write_index``), a bulk into an alias goes to it, and
``POST /<alias>/_rollover`` creates the next ``-NNNNNN`` index and moves the write flag, as ILM
does when a condition is met (the conditions themselves are not evaluated: a test rolls over
explicitly).
"""

from __future__ import annotations

import fnmatch
import json
import re
from dataclasses import dataclass, field
from typing import Any

from werkzeug import Request, Response

CONTENT_TYPE = "application/vnd.elasticsearch+json;compatible-with=9"


@dataclass
class Recorded:
    method: str
    path: str
    args: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None

    def ndjson(self) -> list[Any]:
        return [json.loads(line) for line in self.body.decode().splitlines() if line.strip()]


@dataclass
class FakeElasticsearch:
    indices: dict[str, dict[str, Any]] = field(default_factory=dict)
    aliases: dict[str, set[str]] = field(default_factory=dict)
    requests: list[Recorded] = field(default_factory=list)
    #: document id -> (status, error body) the next bulk requests answer for that id
    fail_ids: dict[str, tuple[int, dict[str, Any]]] = field(default_factory=dict)
    #: document id -> how many more bulk requests answer 429 (rejected) for it
    transient: dict[str, int] = field(default_factory=dict)
    scroll_pages: dict[str, list[list[dict[str, Any]]]] = field(default_factory=dict)
    #: alias -> its write index (``is_write_index: true``)
    write_index: dict[str, str] = field(default_factory=dict)
    ilm_policies: dict[str, dict[str, Any]] = field(default_factory=dict)
    templates: dict[str, dict[str, Any]] = field(default_factory=dict)

    # ---------------------------------------------------------------------------- helpers
    def calls(self, method: str, path_regex: str) -> list[Recorded]:
        return [r for r in self.requests if r.method == method and re.fullmatch(path_regex, r.path)]

    def _resolve(self, expr: str) -> tuple[list[str], bool]:
        """Index names of an expression (comma list, wildcards, aliases); missing concrete name?"""
        names: list[str] = []
        missing = False
        for part in expr.split(","):
            if "*" in part:
                names += [n for n in self.indices if fnmatch.fnmatch(n, part)]
            elif part in self.indices:
                names.append(part)
            elif part in self.aliases:
                names += sorted(self.aliases[part])
            else:
                missing = True
        return sorted(set(names)), missing

    def _alias_spec(self, alias: str, index: str) -> dict[str, Any]:
        return {"is_write_index": True} if self.write_index.get(alias) == index else {}

    def _aliases_of(self, index: str) -> dict[str, Any]:
        return {
            a: self._alias_spec(a, index) for a, targets in self.aliases.items() if index in targets
        }

    def _add_alias(self, alias: str, index: str, spec: dict[str, Any]) -> None:
        self.aliases.setdefault(alias, set()).add(index)
        if spec.get("is_write_index"):
            self.write_index[alias] = index
        elif spec.get("is_write_index") is False and self.write_index.get(alias) == index:
            del self.write_index[alias]

    def _target_of(self, name: str) -> str | None:
        """The index a write to ``name`` goes to (an alias: its write index or single index)."""
        if name in self.indices:
            return name
        targets = sorted(self.aliases.get(name, set()))
        if name in self.write_index:
            return self.write_index[name]
        return targets[0] if len(targets) == 1 else None

    def _template_for(self, index: str) -> dict[str, Any]:
        matching = [
            t
            for t in self.templates.values()
            if any(fnmatch.fnmatch(index, p) for p in t.get("index_patterns", []))
        ]
        if not matching:
            return {}
        return dict(max(matching, key=lambda t: t.get("priority", 0)).get("template", {}))

    def _create_index(self, name: str, spec: dict[str, Any]) -> None:
        template = self._template_for(name)
        self.indices[name] = {
            "mappings": spec.get("mappings") or template.get("mappings", {}),
            "settings": {**template.get("settings", {}), **spec.get("settings", {})},
            "docs": {},
        }
        for alias, alias_spec in (spec.get("aliases") or {}).items():
            self._add_alias(alias, name, alias_spec)

    @staticmethod
    def _response(body: Any, status: int = 200, head: bool = False) -> Response:
        data = b"" if head else json.dumps(body).encode()
        return Response(
            data,
            status=status,
            headers={"X-Elastic-Product": "Elasticsearch", "Content-Type": CONTENT_TYPE},
        )

    @classmethod
    def _not_found(cls, kind: str, what: str, head: bool = False) -> Response:
        error = {
            "root_cause": [{"type": kind, "reason": f"no such index [{what}]", "index": what}],
            "type": kind,
            "reason": f"no such index [{what}]",
            "index": what,
        }
        return cls._response({"error": error, "status": 404}, 404, head)

    # ---------------------------------------------------------------------------- handler
    def __call__(self, request: Request) -> Response:
        body = request.get_data()
        method, path = request.method, request.path
        self.requests.append(Recorded(method, path, dict(request.args), body))
        head = method == "HEAD"
        parts = [p for p in path.split("/") if p]

        if parts == ["_bulk"]:
            return self._bulk(body)
        if parts == ["_aliases"] and method == "POST":
            for action in json.loads(body)["actions"]:
                ((verb, spec),) = action.items()
                if verb == "add":
                    self._add_alias(spec["alias"], spec["index"], spec)
                else:
                    self.aliases.setdefault(spec["alias"], set()).discard(spec["index"])
            return self._response({"acknowledged": True})
        if parts[:2] == ["_ilm", "policy"] and method == "PUT":
            self.ilm_policies[parts[2]] = json.loads(body)["policy"]
            return self._response({"acknowledged": True})
        if parts[:1] == ["_index_template"] and method == "PUT":
            self.templates[parts[1]] = json.loads(body)
            return self._response({"acknowledged": True})
        if len(parts) == 2 and parts[1] == "_rollover" and method == "POST":
            return self._rollover(parts[0])
        if parts[:2] == ["_search", "scroll"]:
            if method == "DELETE":
                return self._response({"succeeded": True, "num_freed": 1})
            scroll_id = json.loads(body)["scroll_id"]
            return self._search_page(scroll_id)
        if parts and parts[0] == "_alias":
            name = parts[1]
            targets = sorted(self.aliases.get(name, set()))
            if not targets:
                error = {"error": f"alias [{name}] missing", "status": 404}
                return self._response(error, 404, head)
            return self._response(
                {t: {"aliases": {name: self._alias_spec(name, t)}} for t in targets}, head=head
            )
        if len(parts) == 2 and parts[1] == "_refresh":
            shards = {"total": 1, "successful": 1, "failed": 0}
            return self._response({"_shards": shards})
        if len(parts) == 2 and parts[1] == "_mapping":
            names, missing = self._resolve(parts[0])
            if missing and not names:
                return self._not_found("index_not_found_exception", parts[0])
            return self._response({n: {"mappings": self.indices[n]["mappings"]} for n in names})
        if len(parts) == 2 and parts[1] == "_delete_by_query" and method == "POST":
            return self._delete_by_query(parts[0], json.loads(body)["query"])
        if len(parts) == 2 and parts[1] == "_search":
            return self._search_start(parts[0], request)
        if len(parts) == 1:
            return self._index(method, parts[0], body, request, head)
        return self._response({"error": f"unhandled {method} {path}", "status": 400}, 400)

    def _index(self, method: str, name: str, body: bytes, request: Request, head: bool) -> Response:
        if method == "PUT":
            if name in self.indices:
                return self._response(
                    {"error": {"type": "resource_already_exists_exception"}, "status": 400}, 400
                )
            self._create_index(name, json.loads(body) if body else {})
            return self._response(
                {"acknowledged": True, "shards_acknowledged": True, "index": name}
            )
        names, missing = self._resolve(name)
        if method == "DELETE":
            if missing:
                return self._not_found("index_not_found_exception", name)
            for n in names:
                del self.indices[n]
                for targets in self.aliases.values():
                    targets.discard(n)
            return self._response({"acknowledged": True})
        allow_no = request.args.get("allow_no_indices", "true") == "true"
        if missing and not (allow_no and "*" in name):
            return self._not_found("index_not_found_exception", name, head)
        return self._response(
            {
                n: {
                    "aliases": self._aliases_of(n),
                    "mappings": self.indices[n]["mappings"],
                    "settings": {"index": {"number_of_shards": "1"}},
                }
                for n in names
            },
            head=head,
        )

    def _bulk(self, body: bytes) -> Response:
        lines = [json.loads(line) for line in body.decode().splitlines() if line.strip()]
        items = []
        errors = False
        for header, source in zip(lines[::2], lines[1::2], strict=True):
            ((op, meta),) = header.items()
            doc_id = meta.get("_id", f"auto-{len(items)}")
            index = self._target_of(meta["_index"])
            if index is None:
                reason = f"no write index is defined for alias [{meta['_index']}]"
                error = {"type": "illegal_argument_exception", "reason": reason}
                items.append({op: {"_index": meta["_index"], "status": 400, "error": error}})
                errors = True
                continue
            if self.transient.get(doc_id, 0) > 0:
                self.transient[doc_id] -= 1
                error = {"type": "es_rejected_execution_exception", "reason": "queue full"}
                items.append({op: {"_index": index, "_id": doc_id, "status": 429, "error": error}})
                errors = True
                continue
            if doc_id in self.fail_ids:
                status, error = self.fail_ids[doc_id]
                items.append(
                    {op: {"_index": index, "_id": doc_id, "status": status, "error": error}}
                )
                errors = True
                continue
            docs = self.indices[index]["docs"]
            result = "updated" if doc_id in docs else "created"
            docs[doc_id] = source
            items.append(
                {
                    op: {
                        "_index": index,
                        "_id": doc_id,
                        "_version": 1,
                        "result": result,
                        "_shards": {"total": 1, "successful": 1, "failed": 0},
                        "_seq_no": len(docs) - 1,
                        "_primary_term": 1,
                        "status": 201 if result == "created" else 200,
                    }
                }
            )
        return self._response({"errors": errors, "took": 3, "items": items})

    def _delete_by_query(self, expr: str, query: dict[str, Any]) -> Response:
        """The one query shape the index dataset sends: ``bool.filter`` of ``range`` ``gte``
        conditions (ISO dates compare as text) and ``bool.must_not`` of ``ids``."""
        names, missing = self._resolve(expr)
        if missing:
            return self._not_found("index_not_found_exception", expr)
        ranges = [
            (column, bound["gte"])
            for condition in query["bool"].get("filter", [])
            for column, bound in condition["range"].items()
        ]
        kept = {i for c in query["bool"].get("must_not", []) for i in c["ids"]["values"]}
        deleted = 0
        for name in names:
            docs = self.indices[name]["docs"]
            gone = [
                doc_id
                for doc_id, source in docs.items()
                if doc_id not in kept
                and all(str(source.get(col, "")) >= str(gte) for col, gte in ranges)
            ]
            for doc_id in gone:
                del docs[doc_id]
            deleted += len(gone)
        return self._response({"took": 1, "timed_out": False, "deleted": deleted, "failures": []})

    def _rollover(self, alias: str) -> Response:
        old = self.write_index.get(alias)
        match = re.search(r"-(\d{6})$", old or "")
        if old is None or match is None:
            error = {
                "type": "illegal_argument_exception",
                "reason": f"[{alias}] has no write index",
            }
            return self._response({"error": error, "status": 400}, 400)
        new = f"{old[: match.start()]}-{int(match.group(1)) + 1:06d}"
        self._create_index(new, {})
        self._add_alias(alias, new, {"is_write_index": True})
        return self._response(
            {"acknowledged": True, "old_index": old, "new_index": new, "rolled_over": True}
        )

    def _search_start(self, expr: str, request: Request) -> Response:
        names, missing = self._resolve(expr)
        if missing:
            return self._not_found("index_not_found_exception", expr)
        size = int(request.args.get("size", 10))
        hits = [
            {"_index": n, "_id": doc_id, "_score": 1.0, "_source": src}
            for n in names
            for doc_id, src in self.indices[n]["docs"].items()
        ]
        pages = [hits[i : i + size] for i in range(0, len(hits), size)] or [[]]
        scroll_id = f"scroll-{len(self.scroll_pages)}"
        self.scroll_pages[scroll_id] = pages[1:]
        return self._page(scroll_id, pages[0], len(hits))

    def _search_page(self, scroll_id: str) -> Response:
        pages = self.scroll_pages.get(scroll_id, [])
        page = pages.pop(0) if pages else []
        return self._page(scroll_id, page, None)

    def _page(self, scroll_id: str, hits: list[dict[str, Any]], total: int | None) -> Response:
        return self._response(
            {
                "_scroll_id": scroll_id,
                "took": 1,
                "timed_out": False,
                "_shards": {"total": 1, "successful": 1, "skipped": 0, "failed": 0},
                "hits": {
                    "total": {"value": total if total is not None else len(hits), "relation": "eq"},
                    "max_score": 1.0,
                    "hits": hits,
                },
            }
        )
