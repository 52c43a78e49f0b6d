"""gate.custody.age: the age format checked both ways against pyrage (the rage implementation),
every tampering refused, no secret in a repr, bounded scrypt work."""

from __future__ import annotations

import io
import os

import pytest

from gate.custody import age


# ---- the age format against rage -----------------------------------------------------------------

@pytest.mark.parametrize("size", [0, 1, 65535, 65536, 65537, 3 * 65536, (1 << 20) + 7])
def test_age_interoperates_with_rage_both_ways(size):
    pyrage = pytest.importorskip("pyrage")
    data = os.urandom(size)
    theirs = pyrage.x25519.Identity.generate()
    mine = age.X25519Identity.parse(str(theirs))
    assert str(mine.recipient) == str(theirs.to_public())
    sealed = io.BytesIO()
    age.encrypt_stream(io.BytesIO(data), sealed, [mine.recipient])
    assert pyrage.decrypt(sealed.getvalue(), [theirs]) == data
    opened = io.BytesIO()
    age.decrypt_stream(io.BytesIO(pyrage.encrypt(data, [theirs.to_public()])), opened, [mine])
    assert opened.getvalue() == data


def test_age_passphrase_interoperates_with_rage():
    pyrage = pytest.importorskip("pyrage")
    data = os.urandom(100_000)
    sealed = io.BytesIO()
    age.encrypt_stream(io.BytesIO(data), sealed, [age.ScryptRecipient(b"correct horse", log_n=12)])
    assert pyrage.passphrase.decrypt(sealed.getvalue(), "correct horse") == data
    opened = io.BytesIO()
    age.decrypt_stream(io.BytesIO(pyrage.passphrase.encrypt(data, "battery staple")), opened,
                       [age.ScryptIdentity(b"battery staple")])
    assert opened.getvalue() == data
    with pytest.raises(age.AgeError, match="wrong key or passphrase"):
        age.decrypt_stream(io.BytesIO(sealed.getvalue()), io.BytesIO(), [age.ScryptIdentity(b"wrong")])


def test_age_rejects_every_tampering():
    identity = age.X25519Identity.generate()
    sealed = io.BytesIO()
    age.encrypt_stream(io.BytesIO(os.urandom(200_000)), sealed, [identity.recipient])
    blob = sealed.getvalue()
    header_end = blob.index(b"\n---") + 1
    cases = {
        "payload byte": blob[:-100] + bytes([blob[-100] ^ 1]) + blob[-99:],
        "header byte": blob[:30] + bytes([blob[30] ^ 1]) + blob[31:],
        "mac": blob[:header_end + 5] + (b"A" if blob[header_end + 5:header_end + 6] != b"A" else b"B") + blob[header_end + 6:],
        "truncated": blob[:-1],
        "cut at a chunk": blob[:len(blob) - (len(blob) - header_end - 60) % (65536 + 16)],
        "appended": blob + b"x",
        "empty": b"",
        "not age": b"hello world\n" * 10,
    }
    for name, bad in cases.items():
        with pytest.raises(age.AgeError):
            age.decrypt_stream(io.BytesIO(bad), io.BytesIO(), [identity])
        assert name
    with pytest.raises(age.AgeError, match="wrong key"):
        age.decrypt_stream(io.BytesIO(blob), io.BytesIO(), [age.X25519Identity.generate()])


def test_age_keys_and_repr_never_show_secrets():
    identity = age.X25519Identity.generate()
    assert identity.encode() not in repr(identity)
    assert "AGE-SECRET-KEY" not in repr(identity)
    assert "hunter2" not in repr(age.ScryptIdentity(b"hunter2")) + repr(age.ScryptRecipient(b"hunter2"))
    for bad in ("age1qqqq", "AGE-SECRET-KEY-1XYZ", "age1" + "q" * 58, str(identity.recipient).upper()):
        with pytest.raises(age.AgeError):
            age.X25519Recipient.parse(bad)


def test_age_refuses_a_huge_scrypt_work_factor():
    sealed = io.BytesIO()
    age.encrypt_stream(io.BytesIO(b"x"), sealed, [age.ScryptRecipient(b"pw", log_n=10)])
    blob = sealed.getvalue().replace(b" 10\n", b" 40\n", 1)
    with pytest.raises(age.AgeError, match="work factor"):
        age.decrypt_stream(io.BytesIO(blob), io.BytesIO(), [age.ScryptIdentity(b"pw")])
