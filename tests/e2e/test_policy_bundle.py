"""OPA bundles built and signed by gate: loaded back only when the signature verifies."""

from __future__ import annotations

import gzip
import io
import json
import subprocess
import tarfile

import pytest

from conftest import EXAMPLE_REPO, NOW, run_gate


@pytest.fixture
def keys(tmp_path):
    out = {}
    ec = tmp_path / "keys" / "ec.pem"
    ec.parent.mkdir()
    subprocess.run(["openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", str(ec)], check=True)
    ec.chmod(0o600)
    public = tmp_path / "keys" / "ec.pub"
    subprocess.run(["openssl", "pkey", "-in", str(ec), "-pubout", "-out", str(public)], check=True)
    out["ec"] = (ec, public)
    ed = tmp_path / "keys" / "ed.pem"
    assert run_gate("keygen", "signing", "--out", str(ed)).returncode == 0
    edpub = tmp_path / "keys" / "ed.pub"
    subprocess.run(["openssl", "pkey", "-in", str(ed), "-pubout", "-out", str(edpub)], check=True)
    out["ed"] = (ed, edpub)
    return out


def _build(tmp_path, key=None, name="bundle.tar.gz"):
    target = tmp_path / name
    args = ["policy", "bundle", "build", "--out", str(target)]
    if key is not None:
        args += ["--sign", str(key), "--key-id", "release"]
    proc = run_gate(*args)
    assert proc.returncode == 0, proc.stderr
    return target


def _check(bundle, *extra):
    return run_gate("check", str(EXAMPLE_REPO), "--policy", str(bundle), "--no-builtin-policies", "--now", NOW,
                    "--format", "json", *extra)


def _decisions(proc) -> list:
    body = json.loads(proc.stdout)
    return [(d["id"], d["verdict"], sorted(v["id"] for v in d["violations"])) for d in body["datasets"]]


def _rewrite(bundle, target, change):
    """A valid tar.gz with one entry changed by ``change(name, data) -> data | None`` (None drops it)."""
    raw = gzip.decompress(bundle.read_bytes())
    out = io.BytesIO()
    with tarfile.open(fileobj=io.BytesIO(raw)) as src, tarfile.open(fileobj=out, mode="w") as dst:
        for member in src.getmembers():
            data = change(member.name.lstrip("/"), src.extractfile(member).read())
            if data is None:
                continue
            member.size = len(data)
            dst.addfile(member, io.BytesIO(data))
    target.write_bytes(gzip.compress(out.getvalue()))
    return target


@pytest.mark.parametrize("kind", ["ec", "ed"])
def test_a_signed_bundle_loads_back_verified_and_decides_as_the_directory(tmp_path, keys, kind):
    private, public = keys[kind]
    bundle = _build(tmp_path, private)
    verified = _check(bundle, "--bundle-key", str(public), "--bundle-key-id", "release")
    assert verified.returncode == 1, verified.stderr
    plain = run_gate("check", str(EXAMPLE_REPO), "--now", NOW, "--format", "json")
    assert _decisions(verified) == _decisions(plain)
    # the same policies, whether read from the checkout or from a bundle of them: the same digest
    assert json.loads(verified.stdout)["policy_digest"] == json.loads(plain.stdout)["policy_digest"]


def test_the_signature_is_an_opa_bundle_jwt(tmp_path, keys):
    jwt = pytest.importorskip("jwt")
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    private, public = keys["ec"]
    bundle = _build(tmp_path, private)
    with tarfile.open(bundle) as tar:
        names = sorted(m.name for m in tar.getmembers())
        token = json.loads(tar.extractfile("/.signatures.json").read())["signatures"]
        data = json.loads(tar.extractfile("/data.json").read())
        manifest = json.loads(tar.extractfile("/.manifest").read())
    assert "/gate/lib.rego" in names and "/gate/dataset_test.rego" in names  # tests travel with the policies
    assert manifest["roots"] == ["gate", "org", "waivers"] and data["org"]["trust_levels"][0] == "unknown"
    assert len(token) == 1
    # PyJWT, an independent JWS implementation, accepts it with the public key
    payload = jwt.decode(token[0], load_pem_public_key(public.read_bytes()), algorithms=["ES256"])
    assert jwt.get_unverified_header(token[0])["kid"] == "release"
    listed = {f["name"]: f for f in payload["files"]}
    assert set(listed) == {n.lstrip("/") for n in names} - {".signatures.json"}
    assert all(f["algorithm"] == "SHA-256" for f in listed.values())


@pytest.mark.parametrize("case", ["module byte", "data value", "added module", "removed module"])
def test_a_modified_bundle_is_refused(tmp_path, keys, case):
    private, public = keys["ec"]
    bundle = _build(tmp_path, private)

    def change(name, data):
        if case == "module byte" and name == "gate/lib.rego":
            return data[:100] + bytes([data[100] ^ 1]) + data[101:]
        if case == "data value" and name == "data.json":
            return data.replace(b'"internal":"curated"', b'"internal":"raw"')
        if case == "removed module" and name == "gate/rules/dataset/custody.rego":
            return None
        return data

    bad = _rewrite(bundle, tmp_path / "bad.tar.gz", change)
    if case == "added module":
        raw = gzip.decompress(bad.read_bytes())
        out = io.BytesIO()
        with tarfile.open(fileobj=io.BytesIO(raw)) as src, tarfile.open(fileobj=out, mode="w") as dst:
            for member in src.getmembers():
                dst.addfile(member, src.extractfile(member))
            extra = b"package gate.rules.dataset.evil\n\ndeny := set()\n"
            info = tarfile.TarInfo("/gate/rules/dataset/evil.rego")
            info.size = len(extra)
            dst.addfile(info, io.BytesIO(extra))
        bad.write_bytes(gzip.compress(out.getvalue()))
    proc = _check(bad, "--bundle-key", str(public))
    assert proc.returncode == 2 and "bad.tar.gz" in proc.stderr, proc.stderr
    assert {"module byte": "does not match its signature", "data value": "does not match its signature",
            "added module": "not in its signature", "removed module": "missing from the bundle"}[case] in proc.stderr


def test_keys_and_signatures_must_agree(tmp_path, keys):
    signed = _build(tmp_path, keys["ec"][0])
    unsigned = _build(tmp_path, name="unsigned.tar.gz")
    wrong = _check(signed, "--bundle-key", str(keys["ed"][1]))
    assert wrong.returncode == 2 and "signed with 'ES256'" in wrong.stderr
    other_ec = tmp_path / "keys" / "other.pem"
    subprocess.run(["openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", str(other_ec)], check=True)
    proc = _check(signed, "--bundle-key", str(other_ec))
    assert proc.returncode == 2 and "does not verify" in proc.stderr
    proc = _check(signed)
    assert proc.returncode == 2 and "give --bundle-key" in proc.stderr
    proc = _check(unsigned, "--bundle-key", str(keys["ec"][1]))
    assert proc.returncode == 2 and "not signed" in proc.stderr
    proc = _check(signed, "--bundle-key", str(keys["ec"][1]), "--bundle-key-id", "someone-else")
    assert proc.returncode == 2 and "another key id" in proc.stderr
    assert _check(unsigned).returncode == 1  # an unsigned bundle without a key loads, as OPA does


@pytest.mark.parametrize("case", ["traversal", "symlink", "not gzip", "empty"])
def test_hostile_bundles_are_refused(tmp_path, case):
    target = tmp_path / "hostile.tar.gz"
    if case == "not gzip":
        target.write_bytes(b"just text\n")
    elif case == "empty":
        target.write_bytes(gzip.compress(b""))
    else:
        out = io.BytesIO()
        with tarfile.open(fileobj=out, mode="w") as tar:
            if case == "traversal":
                info = tarfile.TarInfo("../../escape.rego")
                body = b"package x\n"
                info.size = len(body)
                tar.addfile(info, io.BytesIO(body))
            else:
                info = tarfile.TarInfo("/gate/link.rego")
                info.type, info.linkname = tarfile.SYMTYPE, "/etc/passwd"
                tar.addfile(info)
        target.write_bytes(gzip.compress(out.getvalue()))
    proc = _check(target)
    assert proc.returncode == 2 and "hostile.tar.gz" in proc.stderr, proc.stderr


def test_a_decompression_bomb_is_refused_without_expanding_it(tmp_path):
    target = tmp_path / "bomb.tar.gz"
    block = b"\0" * (1 << 20)
    with gzip.open(target, "wb", compresslevel=9) as handle:
        for _ in range(300):  # 300 MiB of zeros in a few hundred KiB
            handle.write(block)
    assert target.stat().st_size < 2 * 1024 * 1024
    proc = _check(target)
    assert proc.returncode == 2 and "expands beyond 256 MiB" in proc.stderr
