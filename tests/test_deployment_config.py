"""The production services and the repository keep secrets out of reach (issue #13 item 7):
compose publishes on the loopback interface only, with authentication and passwords from the
git-ignored ``.env``; credentials files of every configuration environment and Streamlit's
secrets are git-ignored."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
import yaml

from tests.support.paths import KEDRO_PROJECT, REPO_ROOT

COMPOSE = yaml.safe_load((REPO_ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
INTERPOLATED = re.compile(r"\$\{(\w+)(?::\?[^}]*)?\}")


def _environment(service: str) -> dict[str, str]:
    env = COMPOSE["services"][service].get("environment") or {}
    if isinstance(env, list):
        return dict(item.split("=", 1) for item in env)
    return {str(k): str(v) for k, v in env.items()}


def test_every_published_port_is_on_the_loopback_interface() -> None:
    published = [
        (name, port)
        for name, service in COMPOSE["services"].items()
        for port in service.get("ports", [])
    ]
    assert {name for name, _ in published} == {"mongodb", "elasticsearch", "kibana"}
    for name, port in published:
        assert str(port).startswith("127.0.0.1:"), f"{name} publishes {port} on every interface"


def test_mongodb_and_elasticsearch_require_authentication() -> None:
    mongo = _environment("mongodb")
    assert INTERPOLATED.fullmatch(mongo["MONGO_INITDB_ROOT_USERNAME"])
    assert INTERPOLATED.fullmatch(mongo["MONGO_INITDB_ROOT_PASSWORD"])
    search = _environment("elasticsearch")
    assert search["xpack.security.enabled"] == "true"
    assert INTERPOLATED.fullmatch(search["ELASTIC_PASSWORD"])
    kibana = _environment("kibana")
    assert kibana["ELASTICSEARCH_USERNAME"] == "kibana_system"
    assert INTERPOLATED.fullmatch(kibana["ELASTICSEARCH_PASSWORD"])


def test_passwords_come_from_the_env_file_template() -> None:
    compose_text = (REPO_ROOT / "docker-compose.yml").read_text(encoding="utf-8")
    needed = set(INTERPOLATED.findall(compose_text))
    assert {"MONGO_ROOT_PASSWORD", "ELASTIC_PASSWORD", "KIBANA_PASSWORD"} <= needed
    template = (REPO_ROOT / ".env.example").read_text(encoding="utf-8")
    defined = set(re.findall(r"^(\w+)=", template, flags=re.MULTILINE))
    assert needed <= defined
    assert {"MONGODB_URI", "ELASTICSEARCH_URL"} <= defined
    for line in compose_text.splitlines():  # no literal password in the compose file
        if re.search(r"PASSWORD[=:]", line):
            assert "${" in line, line


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
@pytest.mark.parametrize(
    "path",
    [
        *(
            f"{KEDRO_PROJECT.name}/conf/{env}/credentials.yml"
            for env in ("base", "local", "live", "prod", "real")
        ),
        f"{KEDRO_PROJECT.name}/conf/prod/credentials_elasticsearch.yaml",
        ".env",
        ".streamlit/secrets.toml",
        "dashboard_ui/.streamlit/secrets.toml",
    ],
)
def test_secret_files_are_git_ignored(path: str) -> None:
    ignored = subprocess.run(
        ["git", "-C", str(REPO_ROOT), "check-ignore", "-q", "--no-index", path], check=False
    )
    if ignored.returncode == 128:
        pytest.skip("not a git work tree")
    assert ignored.returncode == 0, f"{path} would be committed"


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_the_env_template_is_committed() -> None:
    ignored = subprocess.run(
        ["git", "-C", str(REPO_ROOT), "check-ignore", "-q", "--no-index", ".env.example"],
        check=False,
    )
    assert ignored.returncode == 1
