"""REST service through FastAPI's TestClient: uploads, errors, statelessness, OpenAPI."""

from __future__ import annotations

import builtins
import os
import tempfile
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from data_collection_kedro.usage.api import app as project_app
from data_collection_kedro.usage.api import create_app

from .conftest import ANALYTICS_CSV, ANALYTICS_YAML, EXPECTED


@pytest.fixture
def client(config) -> TestClient:
    return TestClient(create_app(config))


def _post(
    client: TestClient,
    content: bytes,
    name: str = "daily-analytics.yaml",
    query: str = "region=alpha",
    ctype: str | None = None,
):
    file = (name, content, ctype) if ctype else (name, content)
    return client.post(f"/energy?{query}", files={"analytics_file": file})


@pytest.mark.parametrize(
    ("content", "name"), [(ANALYTICS_YAML, "a.yaml"), (ANALYTICS_CSV, "a.csv")], ids=["yaml", "csv"]
)
@pytest.mark.parametrize("region", ["alpha", "beta"])
def test_valid_upload(client: TestClient, content: bytes, name: str, region: str) -> None:
    response = _post(client, content, name, f"region={region}")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["region"] == region
    profiles = {p["profile"]: p for p in body["profiles"]}
    for profile, expected in EXPECTED[region].items():
        assert profiles[profile]["energy_kwh"] == pytest.approx(expected["energy_kwh"], rel=1e-5)
        assert profiles[profile]["emissions_gco2e"] == pytest.approx(
            expected["emissions_gco2e"], rel=1e-5
        )
    assert profiles["chat"]["total_inferences"] == 1500
    assert "per_day" not in body
    assert "formula" in body and body["assumptions"]


def test_per_day_detail_on_request(client: TestClient) -> None:
    body = _post(client, ANALYTICS_CSV, "a.csv", "region=alpha&per_day=true").json()
    assert [(d["day"], d["profile"], d["requests"]) for d in body["per_day"]] == [
        ("2024-05-01", "chat", 1000),
        ("2024-05-01", "clf", 3600),
        ("2024-05-02", "chat", 500),
    ]


def test_default_region_and_format_sniffing(client: TestClient) -> None:
    response = client.post(
        "/energy", files={"analytics_file": ("upload", ANALYTICS_CSV, "application/octet-stream")}
    )
    assert response.status_code == 200, response.text
    assert response.json()["region"] == "alpha"


def test_unknown_region_is_422_with_the_known_regions(client: TestClient) -> None:
    response = _post(client, ANALYTICS_YAML, query="region=mars")
    assert response.status_code == 422
    assert response.json()["known_regions"] == ["alpha", "beta"]
    assert "unknown region 'mars'" in response.json()["detail"]


@pytest.mark.parametrize(
    ("content", "name", "status", "message"),
    [
        (b"analytics: [day: 2024", "a.yaml", 400, "not valid YAML"),
        (b"just a sentence", "a.yaml", 400, "expected a list of rows"),
        (
            b"day,profile,requests\n2024-05-01,chat\n",
            "a.csv",
            400,
            "line 2: 2 fields where the header has 3",
        ),
        (b"", "a.csv", 400, "the file is empty"),
        (b"\xff\xfe\x00garbage", "a.csv", 400, "not UTF-8"),
        (
            b"day,profile,requests\n2024-05-01,chat,-10\n",
            "a.csv",
            422,
            "line 2: requests is negative (-10)",
        ),
        (
            b"- {day: 2024-05-01, profile: gpt5, requests: 3}\n",
            "a.yaml",
            422,
            "entry 1: unknown profile 'gpt5'; known profiles: chat, clf, m1prof",
        ),
        (b"day,profile\n2024-05-01,chat\n", "a.csv", 400, "missing column(s) requests"),
    ],
)
def test_bad_uploads_are_4xx_with_a_clear_message(
    client: TestClient, content: bytes, name: str, status: int, message: str
) -> None:
    response = _post(client, content, name)
    assert response.status_code == status, response.text
    assert message in response.json()["detail"]


def test_unknown_profile_lists_known_profiles(client: TestClient) -> None:
    body = _post(client, b"- {day: 2024-05-01, profile: gpt5, requests: 3}\n").json()
    assert body["known_profiles"] == ["chat", "clf", "m1prof"]


def test_oversized_upload_is_413(client: TestClient) -> None:
    rows = b"".join(b"2024-05-01,clf,1\n" for _ in range(300))  # > 4,000 bytes
    response = _post(client, b"day,profile,requests\n" + rows, "big.csv")
    assert response.status_code == 413
    assert "more than the limit of 4000 bytes" in response.json()["detail"]


def test_oversized_body_is_refused_before_reading(client: TestClient) -> None:
    response = _post(client, b"x" * 200_000, "huge.csv")
    assert response.status_code == 413
    assert "exceeds" in response.json()["detail"]


def test_missing_field_and_wrong_content_type(client: TestClient) -> None:
    response = client.post("/energy", files={"other": ("a.yaml", ANALYTICS_YAML)})
    assert response.status_code == 422
    assert "missing multipart field 'analytics_file'" in response.json()["detail"]
    response = client.post(
        "/energy", content=ANALYTICS_YAML, headers={"content-type": "application/yaml"}
    )
    assert response.status_code == 415


def _listing(*folders: Path) -> set[str]:
    out = set()
    for folder in folders:
        for root, _, files in os.walk(folder):
            out.update(os.path.join(root, f) for f in files)
    return out


def test_nothing_is_written_to_disk(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Uploads (up to the real 1 MB limit) are processed in memory: no temporary file, no write."""
    client = TestClient(project_app)
    temp_dir = tmp_path / "tmp"  # this process's temporary folder, not the shared /tmp
    temp_dir.mkdir()
    monkeypatch.setenv("TMPDIR", str(temp_dir))
    monkeypatch.setattr(tempfile, "tempdir", str(temp_dir))
    work_dir = tmp_path / "cwd"
    work_dir.mkdir()
    monkeypatch.chdir(work_dir)
    before = _listing(temp_dir, work_dir)
    assert before == set()

    real_open = builtins.open
    writes: list[str] = []

    def guarded_open(file, mode="r", *args, **kwargs):  # type: ignore[no-untyped-def]
        if any(m in mode for m in "wax+"):
            writes.append(str(file))
        return real_open(file, mode, *args, **kwargs)

    def no_temp_file(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise AssertionError("an upload was spooled to a temporary file")

    monkeypatch.setattr(builtins, "open", guarded_open)
    for name in ("SpooledTemporaryFile", "TemporaryFile", "NamedTemporaryFile", "mkstemp"):
        monkeypatch.setattr(tempfile, name, no_temp_file)

    big = b"day,profile,requests\n" + b"".join(
        f"2024-{1 + i % 12:02d}-{1 + i % 28:02d},text_classification,{i}\n".encode()
        for i in range(27_000)
    )
    assert 900_000 < len(big) < 1_048_576
    ok = client.post("/energy?region=france", files={"analytics_file": ("a.csv", big)})
    assert ok.status_code == 200, ok.text[:300]
    assert ok.json()["profiles"][0]["total_inferences"] == sum(range(27_000))
    too_big = client.post("/energy?region=france", files={"analytics_file": ("a.csv", big * 2)})
    assert too_big.status_code == 413
    small = client.post(
        "/energy?region=germany",
        files={
            "analytics_file": (
                "a.yaml",
                b"- {day: 2024-01-01, profile: chatbot_llm_8b, requests: 10}\n",
            )
        },
    )
    assert small.status_code == 200

    assert writes == []
    assert _listing(temp_dir, work_dir) == before


def test_openapi_docs(client: TestClient) -> None:
    assert client.get("/docs").status_code == 200
    schema = client.get("/openapi.json").json()
    body = schema["paths"]["/energy"]["post"]["requestBody"]["content"]["multipart/form-data"]
    assert body["schema"]["required"] == ["analytics_file"]
    assert {p["name"] for p in schema["paths"]["/energy"]["post"]["parameters"]} == {
        "region",
        "per_day",
    }
    assert client.get("/regions").json()["default_region"] == "alpha"
