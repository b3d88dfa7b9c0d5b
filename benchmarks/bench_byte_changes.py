"""1,000 random single-byte changes anywhere in a genuine certificate PDF, each verified online
(``POST /api/v1/verify``) and offline (the registry's key export, as ``certify-verify``
does): how many still verify as valid (must be 0) and how long it takes.

The acceptance test of issue 25, finding 1 (``tests/web/test_verification_container.py`` runs
the same count in the suite). Each change replaces one byte, at a uniformly random position,
with one of the 255 other values, from a fixed seed; the PDF itself is issued afresh (new
keys) on every run.
"""

from __future__ import annotations

import datetime as dt
import io
import random
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

COUNT = 1000
SEED = 25


def single_byte_changes(pdf: bytes, count: int, seed: int) -> list[tuple[int, int]]:
    """*count* (position, new byte) pairs: positions anywhere in *pdf*, each byte changed to
    one of the 255 others, from *seed*."""
    rng = random.Random(seed)  # noqa: S311 - reproducible test data
    return [
        (position, pdf[position] ^ rng.randrange(1, 256))
        for position in (rng.randrange(len(pdf)) for _ in range(count))
    ]


def _issued_pdf(app: object) -> tuple[bytes, dict[str, object]]:
    from benchmarks.bench_issuance import _answers, _decided_application
    from certify import clock
    from certify.certificates.keys import get_keystore
    from certify.core.actor import Actor
    from certify.core.scoring.engine import score
    from certify.db import db_session
    from certify.lifecycle import issue_certificate
    from certify.standards.operations import get_rubric

    with app.app_context():  # type: ignore[attr-defined]
        session = db_session()
        rubric = get_rubric("isrps", "1.0")
        certificate = issue_certificate(
            session,
            _decided_application(session, rubric, 0),
            score=score(rubric, _answers(rubric)),
            rubric=rubric,
            decided_at=clock.now(),
            actor=Actor.cli("bench"),
        )
        session.commit()
        serial = certificate.serial
        export = get_keystore().export(app.config["PUBLIC_URL"])  # type: ignore[attr-defined]
    client = app.test_client()  # type: ignore[attr-defined]
    return client.get(f"/certificates/{serial}.pdf").get_data(), export


def _verdicts(client: Any, keys: Any, data: bytes, now: dt.datetime) -> tuple[str, str]:
    """(offline verdict, online verdict or ``HTTP <status>``) for *data*."""
    from certify.core.verification.document import verify_document
    from certify.core.verification.model import NotADocument

    try:
        offline = verify_document(data, keys, now=now).verdict
    except NotADocument:
        offline = "not a document"
    response = client.post(
        "/api/v1/verify",
        data={"file": (io.BytesIO(data), "certificate.pdf")},
        content_type="multipart/form-data",
    )
    online = response.json["verdict"] if response.status_code == 200 else ""
    return offline, online or f"HTTP {response.status_code}"


def run(quick: bool = False) -> dict[str, float]:
    """Count the changes still verifying as valid online and offline, and time the run.

    quick: 100 changes (a CI smoke run); otherwise 1,000.
    """
    from benchmarks.bench_issuance import _setup
    from certify.core.verification.model import RegistryKeys
    from certify.verify_cli import library_logs_collected

    count = 100 if quick else COUNT
    with tempfile.TemporaryDirectory(prefix="certify-bench-") as tmp:
        app = _setup(Path(tmp))
        pdf, export = _issued_pdf(app)
        keys = RegistryKeys.from_export(export)
        client = app.test_client()
        now = dt.datetime.now(dt.UTC)
        seen: Counter[str] = Counter()
        started = time.perf_counter()
        # pyHanko logs warnings with tracebacks about damaged files: collected, as
        # certify-verify does, so the figures stay readable
        with library_logs_collected() as library:
            for position, value in single_byte_changes(pdf, count, SEED):
                data = pdf[:position] + bytes([value]) + pdf[position + 1 :]
                offline, online = _verdicts(client, keys, data, now)
                seen["offline " + offline] += 1
                seen["online " + online] += 1
        seconds = time.perf_counter() - started
    print(f"   {count} single-byte changes of a {len(pdf):,}-byte certificate PDF")
    print(f"   still valid online  {seen['online valid']}  (must be 0)")
    print(f"   still valid offline {seen['offline valid']}  (must be 0)")
    errors = sum(n for k, n in seen.items() if k.startswith("online HTTP 5"))
    print(f"   answered 400 (not a document) {seen['online HTTP 400']}; 5xx {errors} (must be 0)")
    print(
        f"   pyHanko warnings about damaged files (collected, not printed): {len(library.records)}"
    )
    print(f"   time {seconds:.1f} s ({seconds / count * 1000:.1f} ms per change, both checks)")
    return {
        "valid_online": seen["online valid"],
        "valid_offline": seen["offline valid"],
        "server_errors": errors,
        "seconds": seconds,
    }
