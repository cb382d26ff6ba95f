"""`tilpass helseid-key --out FILE`: a new key pair for the HelseID client, run as a user runs
it. The private JWK goes to FILE, readable by its owner alone and never over an existing file;
the public JWK, the same key without its private members, to standard output."""

import json
import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import jwskate
import pytest

from auth.helseid import read_client_key

TILPASS = Path(sys.executable).with_name("tilpass")
PRIVATE_MEMBERS = {"d", "p", "q", "dp", "dq", "qi", "oth", "k"}


def helseid_key(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TILPASS_")}
    return subprocess.run(
        [str(TILPASS), "helseid-key", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def made(result: subprocess.CompletedProcess[str], out: Path) -> tuple[dict, dict[str, Any]]:
    """The private key read as the service reads it, and the public JWK printed."""
    assert result.returncode == 0, result.stderr
    private = read_client_key(out.read_text(encoding="utf-8"))
    return private, json.loads(result.stdout)


@pytest.mark.parametrize(
    ("args", "kty", "alg"), [((), "RSA", "RS256"), (("--alg", "ES256"), "EC", "ES256")]
)
def test_a_new_key_pair_private_to_the_file_public_to_stdout(tmp_path, args, kty, alg):
    # When a key pair is made
    out = tmp_path / "key.json"
    result = helseid_key("--out", str(out), *args, cwd=tmp_path)
    private, public = made(result, out)
    # Then the private key is the owner's alone
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    # And it is a private JWK of the kind asked for, with kid, alg and use, as the service reads it
    assert private["kty"] == kty and private["alg"] == alg and private["use"] == "sig"
    assert private["kid"] and jwskate.Jwk(private).is_private
    if kty == "RSA":
        assert jwskate.Jwk(private).key_size == 2048
    # And standard output is the same key, public only, under the same kid
    assert not PRIVATE_MEMBERS & public.keys()
    assert not jwskate.Jwk(public).is_private
    assert public["kid"] == private["kid"] and public["alg"] == alg and public["use"] == "sig"
    assert jwskate.Jwk(public).thumbprint() == jwskate.Jwk(private).thumbprint()
    # And what the private key signs, the public one verifies
    assertion = jwskate.Jwt.sign({"iss": "klient"}, jwskate.Jwk(private), alg=alg)
    assert assertion.verify_signature(jwskate.Jwk(public), alg=alg)
    # And standard error says, in Norwegian, what to do with each
    assert "Selvbetjening" in result.stderr and "TILPASS_HELSEID_CLIENT_KEY" in result.stderr


def test_kid_may_be_chosen(tmp_path):
    out = tmp_path / "key.json"
    private, public = made(
        helseid_key("--out", str(out), "--kid", "tilpass-2024", cwd=tmp_path), out
    )
    assert private["kid"] == public["kid"] == "tilpass-2024"


def test_an_existing_file_is_never_overwritten(tmp_path):
    # Given a key made already
    out = tmp_path / "key.json"
    assert helseid_key("--out", str(out), cwd=tmp_path).returncode == 0
    before = out.read_bytes()
    # When the command is run again on the same file
    again = helseid_key("--out", str(out), cwd=tmp_path)
    # Then it refuses, says why in Norwegian, prints no key, and the file is as it was
    assert again.returncode == 1
    assert "finnes allerede" in again.stderr
    assert again.stdout == ""
    assert out.read_bytes() == before


def test_a_symlink_is_not_followed(tmp_path):
    # A link planted where the key is to go (to a file others may read) is refused, not followed.
    target = tmp_path / "elsewhere.json"
    out = tmp_path / "key.json"
    out.symlink_to(target)
    result = helseid_key("--out", str(out), cwd=tmp_path)
    assert result.returncode == 1
    assert not target.exists()
