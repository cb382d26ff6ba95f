"""Production refuses to start without its HelseID settings, with a message naming them;
`tilpass token` stays refused; `tilpass serve` in production serves HelseID users only."""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import pytest

from app import create_app
from settings import SettingsError, load_settings
from tests.conftest import ASTRID, TESTS
from tests.helseid import AUDIENCE, ISSUER, HelseId, new_rsa_key
from tests.servers import Server
from tests.test_cli import tilpass

ME = "query Me { me { hprNumber } }"


@pytest.fixture
def helseid(tmp_path: Path) -> HelseId:
    folder = tmp_path / "helseid"
    folder.mkdir()
    return HelseId(folder)


ENVIRONMENT = {
    "TILPASS_ENV": "production",
    "TILPASS_JWKS_URL": "https://helseid-sts.nhn.no/.well-known/openid-configuration/jwks",
    "TILPASS_ISSUER": ISSUER,
    "TILPASS_AUDIENCE": AUDIENCE,
}


@pytest.mark.parametrize("missing", ["TILPASS_JWKS_URL", "TILPASS_ISSUER", "TILPASS_AUDIENCE"])
def test_production_refuses_to_start_without_a_setting(missing):
    settings = load_settings({k: v for k, v in ENVIRONMENT.items() if k != missing})
    with pytest.raises(SettingsError, match=missing):
        create_app(settings=settings)


def test_production_refuses_a_jwks_url_over_plain_http():
    settings = load_settings({**ENVIRONMENT, "TILPASS_JWKS_URL": "http://helseid/jwks"})
    with pytest.raises(SettingsError, match="https://"):
        create_app(settings=settings)


def test_production_settings_are_read_from_the_environment():
    settings = load_settings(ENVIRONMENT)
    assert settings.production and not settings.production_problems()
    assert (settings.jwks_url, settings.issuer, settings.audience) == (
        ENVIRONMENT["TILPASS_JWKS_URL"],
        ISSUER,
        AUDIENCE,
    )


def cli_env(db_file: Path, **extra: str) -> dict[str, str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("TILPASS_")}
    return {**environ, "TILPASS_DATABASE_URL": f"sqlite:///{db_file}", **extra}


def test_serve_refuses_production_without_helseid_settings(tmp_path):
    env = cli_env(tmp_path / "tilpass.db", TILPASS_ENV="production")
    result = tilpass("serve", "--port", "1", cwd=tmp_path, env=env, timeout=30)
    assert result.returncode == 2
    for name in ("TILPASS_JWKS_URL", "TILPASS_ISSUER", "TILPASS_AUDIENCE"):
        assert name in result.stderr
    assert "Traceback" not in result.stderr


def test_token_command_is_refused_in_production_even_when_configured(tmp_path, helseid):
    env = cli_env(
        tmp_path / "tilpass.db",
        TILPASS_ENV="production",
        TILPASS_JWKS_URL=helseid.url,
        TILPASS_ISSUER=ISSUER,
        TILPASS_AUDIENCE=AUDIENCE,
    )
    result = tilpass("token", "--hpr", str(ASTRID), cwd=tmp_path, env=env)
    assert result.returncode != 0
    assert result.stdout.strip().count(".") < 2
    assert "produksjon" in result.stderr


def test_production_server_serves_helseid_users_only(tmp_path, helseid):
    # Given a registry, and `tilpass serve` in production with HelseID's JWKS as a file
    env = cli_env(
        tmp_path / "tilpass.db",
        TILPASS_ENV="production",
        TILPASS_JWKS_URL=helseid.url,
        TILPASS_ISSUER=ISSUER,
        TILPASS_AUDIENCE=AUDIENCE,
    )
    registry = TESTS / "registry.json"
    assert tilpass("import-registry", str(registry), cwd=tmp_path, env=env).returncode == 0
    server = Server(cwd=tmp_path, env=env).start()
    try:
        # When Astrid comes with a HelseID token, and someone with a made-up one
        def me(token: str) -> dict:
            response = httpx.post(
                f"{server.base}/graphql",
                json={"query": ME},
                headers={"Authorization": f"Bearer {token}"},
                timeout=10,
            )
            assert response.status_code == 200, response.text
            return response.json()

        # Then only Astrid gets in
        assert me(helseid.token(ASTRID))["data"]["me"] == {"hprNumber": ASTRID}
        assert me(helseid.token(ASTRID, key=new_rsa_key()))["data"]["me"] is None
    finally:
        server.stop()
