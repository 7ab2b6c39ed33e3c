"""A MongoDB wire-protocol server for every MongoDB test, started once per session.

- ``MONGODB_URI`` set: that server (a real ``mongod``, e.g. the GitHub Actions service container
  or ``docker compose up``) is used as it is; a server that does not answer is an error, not a
  skip.
- otherwise: SecantusDB (``secantusdb``, a MongoDB wire-protocol server in Python on a bundled
  WiredTiger engine) starts in-process on 127.0.0.1 on a free port with an in-memory store.
  It is a test-time dependency only (GPL-2.0): the package never imports it.

SecantusDB reports MongoDB 8.2 (wire version 27) and answers the commands the project uses
(unordered bulk upserts with their matched/modified/upserted counts, ``$unset``, unique compound
indexes, schema validation errors, sorted finds with projections, write and read concerns);
every MongoDB test of the project passes on it. Where it differs from MongoDB on something the
project relies on, mark the test ``pytest.mark.xfail(mongo_server.is_secantus, strict=True,
reason="SecantusDB differs: …")`` rather than bend the code. It is slow (1,000 to 2,500
upserts/s here): MongoDB tests keep their data small.

Isolation: every test gets a fresh database name (:meth:`MongoServer.fresh_database`), dropped
at the end by the ``mongo_database`` fixture.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

SECANTUS = "secantusdb"
MONGODB = "mongodb"


@dataclass
class MongoServer:
    """The session's server: its URI and which kind of server answers on it."""

    uri: str
    kind: str  # SECANTUS (in-process) or MONGODB (MONGODB_URI)
    _databases: list[str] = field(default_factory=list)

    def client(self, **kwargs: Any) -> Any:
        """A new ``pymongo.MongoClient`` on the server (close it, or use ``with``)."""
        import pymongo

        from data_collection_kedro.datasets.mongo import environment_credentials

        options = {**environment_credentials(), **kwargs}  # MONGODB_USERNAME / _PASSWORD
        return pymongo.MongoClient(self.uri, serverSelectionTimeoutMS=10_000, **options)

    def fresh_database(self, prefix: str = "energiewatch_test") -> str:
        """A database name no other test uses (dropped by :meth:`drop_databases`)."""
        name = f"{prefix}_{uuid.uuid4().hex[:10]}"
        self._databases.append(name)
        return name

    def drop_databases(self) -> None:
        with self.client() as client:
            for name in self._databases:
                client.drop_database(name)
        self._databases.clear()

    @property
    def is_secantus(self) -> bool:
        return self.kind == SECANTUS


@dataclass(frozen=True)
class MongoDatabase:
    """A fresh database of the session's server, for one test."""

    server: MongoServer
    name: str

    @property
    def uri(self) -> str:
        return self.server.uri


def _start_secantus() -> Any:
    from secantus import SecantusDBServer

    server = SecantusDBServer(host="127.0.0.1", port=0, storage_path=":memory:")
    server.start()
    return server


@pytest.fixture(scope="session")
def mongo_server() -> Iterator[MongoServer]:
    """The MongoDB server of the session (see the module docstring)."""
    uri = os.environ.get("MONGODB_URI")
    if uri:
        server = MongoServer(uri, MONGODB)
        with server.client() as client:
            client.admin.command("ping")  # unreachable: an error naming the server
        yield server
        return
    secantus = _start_secantus()
    try:
        yield MongoServer(secantus.uri, SECANTUS)
    finally:
        secantus.stop()


@pytest.fixture
def mongo_database(mongo_server: MongoServer) -> Iterator[MongoDatabase]:
    """A fresh database name on the session's server, dropped after the test."""
    database = MongoDatabase(mongo_server, mongo_server.fresh_database())
    try:
        yield database
    finally:
        mongo_server.drop_databases()
