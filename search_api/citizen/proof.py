"""A hashcash-style proof of work: the server hands out a signed challenge, the browser finds a
nonce whose SHA-256 of ``<challenge>:<nonce>`` starts with the challenge's number of zero bits
(``ui/static/pow.js``), the server checks it with one hash. Costs a sender a second or so per
report and costs us nothing; no third-party service is asked.

A challenge is ``v1.<issued>.<bits>.<salt>.<mac>``: the MAC (HMAC-SHA256 over the rest, with a
per-installation secret) means we keep no list of challenges handed out; each one is good once
(its salt is remembered as used in the store-backed rate-limit table) and for a limited time.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import time
from functools import lru_cache
from pathlib import Path

VERSION = "v1"
MAX_NONCE_LENGTH = 32


class ProofRefused(ValueError):
    """The proof of work is missing its parts, forged, stale, too easy, wrong or used already."""


@lru_cache(maxsize=8)
def secret_of(path: Path) -> bytes:
    """The installation's challenge-signing secret, created (0600) on first use."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another worker made it first
            return path.read_bytes()
        with os.fdopen(fd, "wb") as fh:
            fh.write(secrets.token_bytes(32))
    return path.read_bytes()


def _mac(secret: bytes, body: str) -> str:
    return hmac.new(secret, body.encode(), hashlib.sha256).hexdigest()[:32]


def issue(secret: bytes, bits: int, *, now: float | None = None) -> str:
    """A fresh challenge asking for ``bits`` leading zero bits."""
    body = f"{VERSION}.{int(now if now is not None else time.time())}.{bits}.{secrets.token_hex(8)}"
    return f"{body}.{_mac(secret, body)}"


def leading_zero_bits(digest: bytes) -> int:
    bits = 0
    for byte in digest:
        if byte == 0:
            bits += 8
            continue
        return bits + 8 - byte.bit_length()
    return bits


def solve(challenge: str) -> str:
    """Find a nonce (what the browser's script does; tests and the CLI use it)."""
    bits = int(challenge.split(".")[2])
    nonce = 0
    while leading_zero_bits(hashlib.sha256(f"{challenge}:{nonce}".encode()).digest()) < bits:
        nonce += 1
    return str(nonce)


def verify(secret: bytes, challenge: str, nonce: str, *, min_bits: int, max_age_seconds: int, now: float | None = None) -> str:
    """Check a solved challenge; returns its salt (for the caller to mark as used).

    Raises:
        ProofRefused: saying which part failed.
    """
    parts = challenge.split(".")
    if len(parts) != 5 or parts[0] != VERSION:
        raise ProofRefused("the proof of work is missing or not ours; reload the form")
    _version, issued, bits, salt, mac = parts
    if not hmac.compare_digest(mac, _mac(secret, ".".join(parts[:4]))):
        raise ProofRefused("the proof-of-work challenge was not issued here; reload the form")
    now = time.time() if now is None else now
    if not issued.isdigit() or not bits.isdigit() or now - int(issued) > max_age_seconds or int(issued) > now + 60:
        raise ProofRefused("the form is too old; reload it and send again")
    if int(bits) < min_bits:
        raise ProofRefused("the proof-of-work challenge is easier than this server asks; reload the form")
    if not nonce or len(nonce) > MAX_NONCE_LENGTH:
        raise ProofRefused("the proof of work was not solved")
    if leading_zero_bits(hashlib.sha256(f"{challenge}:{nonce}".encode()).digest()) < int(bits):
        raise ProofRefused("the proof of work is wrong")
    return salt
