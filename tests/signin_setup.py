"""The service signing GPs in through a real OpenID Provider (tests/oidc_provider.py), for the
sign-in tests over HTTP (test_signin.py) and in Chromium (test_web_signin.py): the client's key
pair, the provider with the service registered as its client, and settings that name both."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import jwskate

from settings import Settings
from tests.oidc_provider import Provider, start_provider

CLIENT_ID = "tilpass-helsenorge"


def new_client_key() -> jwskate.Jwk:
    # The service's key pair: the provider gets the public JWK, the private one signs the
    # service's client assertions.
    return jwskate.Jwk.generate(alg="ES256", kid="tilpass-test-1")


def start_registered_provider(public_url: str, key: jwskate.Jwk, workdir: Path) -> Provider:
    """A provider that knows the service at `public_url` as its client."""
    registered: dict[str, Any] = {
        "client_id": CLIENT_ID,
        "jwks": {"keys": [key.public_jwk().to_dict()]},
        "redirect_uris": [f"{public_url}/auth/callback"],
        "post_logout_redirect_uris": [f"{public_url}/"],
    }
    return start_provider([registered], workdir)


def helseid_settings(
    settings: Settings, provider_issuer: str, key: jwskate.Jwk, public_url: str, workdir: Path
) -> Settings:
    """`settings` with HelseID configured as an operator would: the key in a file."""
    key_file = workdir / "helseid-key.json"
    key_file.write_text(json.dumps(key.to_dict()), encoding="utf-8")
    return replace(
        settings,
        helseid_authority=provider_issuer,
        helseid_client_id=CLIENT_ID,
        helseid_client_key=key_file,
        public_url=public_url,
    )
