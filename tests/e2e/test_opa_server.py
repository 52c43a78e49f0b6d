"""The opa-server backend against a loopback server that decides with OPA's real engine."""

from __future__ import annotations

import contextlib
import json
import os
from types import SimpleNamespace

import pytest

from conftest import EXAMPLE_REPO, EXAMPLES, NOW, run_gate, run_json, write
from gate.policy import builtin_policy_dir, load_policy_set

pytest.importorskip("opa_bindings", reason="the loopback server decides with OPA's in-process engine")
from opa_data_api import OpaDataApi  # noqa: E402


@pytest.fixture(scope="module")
def policies():
    return load_policy_set([builtin_policy_dir()])


@contextlib.contextmanager
def served(policies):
    """A real `opa run --server policies/` when GATE_TEST_OPA_URL names one (the GitHub workflow),
    else the loopback Data API deciding with in-process OPA."""
    real = os.environ.get("GATE_TEST_OPA_URL")
    if real:
        yield SimpleNamespace(url=real.rstrip("/"), requests=None)
        return
    with OpaDataApi(policies) as server:
        yield server


def _without_engine_details(body: dict) -> dict:
    return {k: v for k, v in body.items() if k not in ("engine", "policy_digest")}


def test_server_decisions_equal_in_process_opa(policies):
    with served(policies) as server:
        code, remote = run_json("check", str(EXAMPLE_REPO), "--engine", "opa-server", "--opa-url", server.url,
                                "--now", NOW)
        if server.requests is not None:
            assert ("POST", "/v1/data/gate/dataset/decision") in server.requests
    local_code, local = run_json("check", str(EXAMPLE_REPO), "--engine", "opa", "--now", NOW)
    assert remote["engine"] == "opa-server"
    assert code == local_code == 1
    assert _without_engine_details(remote) == _without_engine_details(local)


def test_server_policy_digest_covers_served_modules(policies):
    with served(policies) as server:
        _, body = run_json("check", str(EXAMPLE_REPO), "--opa-url", server.url, "--now", NOW)
    assert body["engine"] == "opa-server"
    assert body["policy_digest"].startswith("sha256:")


def test_access_over_server(policies):
    with served(policies) as server:
        # no --now: the server's policy data does not allow a pinned time for access decisions (the grant
        # ended 2026-09-30, in the past of any run of this test)
        code, body = run_json("access", "--request", str(EXAMPLES / "requests" / "08-dave-reads-churn-expired-grant.json"),
                              "--repo", str(EXAMPLE_REPO), "--opa-url", server.url)
    assert code == 1
    assert {v["id"] for v in body["datasets"][0]["violations"]} == {"access.grant_expired"}


def test_bearer_token(policies, tmp_path):
    token_file = write(tmp_path / "token", "s3cret-token-value\n")
    with OpaDataApi(policies, token="s3cret-token-value") as server:
        ok = run_gate("check", str(EXAMPLE_REPO), "--opa-url", server.url, "--opa-token-file", str(token_file),
                      "--now", NOW)
        assert ok.returncode == 1, ok.stderr
        env_ok = run_gate("check", str(EXAMPLE_REPO), "--opa-url", server.url, "--now", NOW,
                          env={"GATE_OPA_TOKEN": "s3cret-token-value"})
        assert env_ok.returncode == 1, env_ok.stderr
        denied = run_gate("check", str(EXAMPLE_REPO), "--opa-url", server.url, "--now", NOW,
                          env={"GATE_OPA_TOKEN": "wrong-token-value"})
    assert denied.returncode == 2
    assert "HTTP 401" in denied.stderr and server.url in denied.stderr
    for proc in (ok, env_ok, denied):
        assert "s3cret-token-value" not in proc.stdout + proc.stderr
        assert "wrong-token-value" not in proc.stdout + proc.stderr


def test_server_500_fails_closed(policies):
    with OpaDataApi(policies, fail_with=500) as server:
        proc = run_gate("check", str(EXAMPLE_REPO), "--opa-url", server.url, "--now", NOW)
    assert proc.returncode == 2
    assert "HTTP 500" in proc.stderr and "simulated failure" in proc.stderr


def test_slow_server_past_timeout(policies):
    with OpaDataApi(policies, delay=2.0) as server:
        proc = run_gate("check", str(EXAMPLE_REPO), "--opa-url", server.url, "--timeout", "0.5", "--now", NOW)
    assert proc.returncode == 2
    assert "within 0.5 s" in proc.stderr


def test_undefined_entrypoint_on_server(tmp_path):
    bare = load_policy_set([write(tmp_path / "p" / "x.rego", "package other\n\nx := 1\n").parent])
    with OpaDataApi(bare) as server:
        proc = run_gate("check", str(EXAMPLE_REPO), "--opa-url", server.url, "--now", NOW)
    assert proc.returncode == 2
    assert "undefined" in proc.stdout + proc.stderr


def test_local_policy_options_refused_for_server(policies, tmp_path):
    with served(policies) as server:
        proc = run_gate("check", str(EXAMPLE_REPO), "--opa-url", server.url, "--data", str(tmp_path / "x.yaml"))
    assert proc.returncode == 2 and "opa-server" in proc.stderr


def test_eval_over_server(policies, tmp_path):
    document = {"request": {"subject": "mallory", "dataset": "d", "action": "read", "purpose": "p"},
                "dataset": None, "context": {"now": NOW}}
    path = write(tmp_path / "in.json", json.dumps(document))
    with served(policies) as server:
        proc = run_gate("eval", "gate.access.decision", "--input", str(path), "--opa-url", server.url)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["result"]["allow"] is False


def _self_signed(tmp_path):
    """A CA and a server certificate for 127.0.0.1, made with real crypto for this test only."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "gate test CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
          .not_valid_after(now + datetime.timedelta(hours=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(hours=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .sign(ca_key, hashes.SHA256()))
    ca_file = write(tmp_path / "ca.pem", ca.public_bytes(serialization.Encoding.PEM).decode())
    cert_file = write(tmp_path / "server.pem", cert.public_bytes(serialization.Encoding.PEM).decode())
    key_file = tmp_path / "server.key"
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return ca_file, cert_file, key_file


def test_tls_with_ca_bundle(policies, tmp_path):
    ca_file, cert_file, key_file = _self_signed(tmp_path)
    with OpaDataApi(policies, tls=(str(cert_file), str(key_file))) as server:
        assert server.url.startswith("https://")
        trusted = run_gate("check", str(EXAMPLE_REPO), "--opa-url", server.url, "--ca-bundle", str(ca_file),
                           "--now", NOW)
        untrusted = run_gate("check", str(EXAMPLE_REPO), "--opa-url", server.url, "--now", NOW)
    assert trusted.returncode == 1, trusted.stderr
    assert "engine opa-server" in trusted.stdout
    assert untrusted.returncode == 2
    assert "TLS verification" in untrusted.stderr
