"""An RFC 3161 time-stamping authority for the PDF signatures (issue 20, PAdES B-T):
``TSA_URL`` names it, ``TSA_ROOTS`` a PEM file with its root certificate(s), which the key
export publishes (``timestamp_roots_pem``) so verifiers can judge the tokens.

Without a TSA (the default) the signature carries no token and the certificate's signing
time is proven by the transparency log (its issuance entry, in a signed checkpoint). With
one, every issuance asks it for a token over the signature: a TSA that does not answer fails
the issuance, which then records nothing (it is tried again like any failed issuance).
"""

from __future__ import annotations

import asyncio
import logging
import threading
import urllib.error
import urllib.request
from pathlib import Path

from asn1crypto import tsp
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from flask import Flask, current_app
from pyhanko.sign.timestamps import TimeStamper, TimestampRequestError

from certify.state import app_state

log = logging.getLogger(__name__)

TIMEOUT = 15
_LOCK = threading.Lock()


class UrllibTimeStamper(TimeStamper):
    """pyHanko's time-stamp client over the standard library's HTTP (no extra dependency):
    POSTs the DER request, reads at most 1 MiB of DER response."""

    def __init__(self, url: str, timeout: float = TIMEOUT) -> None:
        if not url.startswith(("https://", "http://")):
            raise ValueError(f"TSA_URL must be an http(s) address, not {url!r}")
        super().__init__()
        self.url = url
        self.timeout = timeout

    async def async_request_tsa_response(self, req: tsp.TimeStampReq) -> tsp.TimeStampResp:
        request = urllib.request.Request(  # noqa: S310 - http(s) only, checked above
            self.url,
            data=req.dump(),
            headers={"Content-Type": "application/timestamp-query"},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:  # noqa: S310
                body = answer.read(1024 * 1024)
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise TimestampRequestError(f"the TSA at {self.url} did not answer: {exc}") from exc
        return tsp.TimeStampResp.load(body)


def get_timestamper(app: Flask | None = None) -> UrllibTimeStamper | None:
    """The configured TSA client (one per process and URL), or None without ``TSA_URL``."""
    app = app or current_app
    url = app.config.get("TSA_URL")
    if not url:
        return None
    cache = app_state(app).caches.pdf_signer
    key = ("tsa", str(url))
    with _LOCK:
        stamper = cache.get(key)
        if stamper is None:
            stamper = UrllibTimeStamper(str(url))
            cache.put(key, stamper)
    return stamper


def tsa_certificates(stamper: TimeStamper) -> list[x509.Certificate]:
    """The certificates the TSA sends with its tokens (for the PDF's DSS), from pyHanko's
    cached dummy token (one request per process).

    Raises:
        TimestampRequestError: the TSA did not answer.
    """
    response = asyncio.run(stamper.async_dummy_response("sha256"))
    listed = response["content"]["certificates"]
    return [
        x509.load_der_x509_certificate(choice.chosen.dump())
        for choice in (listed if listed.native is not None else [])
    ]


def tsa_roots(app: Flask | None = None) -> list[x509.Certificate]:
    """The pinned TSA root certificates from ``TSA_ROOTS`` (a PEM file), or none.

    Raises:
        ValueError: the file cannot be read or holds no certificate.
    """
    app = app or current_app
    path = app.config.get("TSA_ROOTS")
    if not path:
        return []
    try:
        roots = x509.load_pem_x509_certificates(Path(str(path)).read_bytes())
    except (OSError, ValueError) as exc:
        raise ValueError(f"TSA_ROOTS ({path}) is not a readable PEM file: {exc}") from exc
    return list(roots)


def tsa_roots_pem(app: Flask | None = None) -> bytes | None:
    """The pinned TSA roots as PEM, for the key export; None when there are none."""
    roots = tsa_roots(app)
    if not roots:
        return None
    return b"".join(root.public_bytes(serialization.Encoding.PEM) for root in roots)
