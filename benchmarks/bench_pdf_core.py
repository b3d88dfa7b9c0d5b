"""Certificate PDF: render (ReportLab + QR), embed + PAdES-sign (pyHanko, P-256), validate.

Figures are medians in milliseconds. NOTES.md measured on this kind of machine: ~24 ms for a
ReportLab page with a QR code, ~52 ms to embed JSON and sign, ~15 ms to validate in process;
the ratios printed compare against those reference figures (> 1 means slower).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime

from certify.certificates.fonts import find_fonts
from certify.core.pdf.certificate.drawing import render_certificate
from certify.core.pdf.certificate.sample import sample_snapshot
from certify.core.pdf.pki import make_root_ca, make_signing_cert
from certify.core.pdf.signing import PdfSigner
from certify.core.pdf.validation import validate_pdf

REFERENCE_MS = {"render": 24.0, "sign": 52.0, "validate": 15.0}


def _median_ms(fn: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def run(quick: bool = False) -> dict[str, float]:
    """Median render, sign, render+sign and validate times (ms); quick = 3 runs each."""
    runs = 3 if quick else 25
    now = datetime.now(UTC)
    root_key, root_cert = make_root_ca("Bench Root CA", "Bench Registry", now)
    key, cert = make_signing_cert(root_key, root_cert, "Bench signing", "Bench Registry", now)
    signer = PdfSigner(key, cert, [root_cert])  # built once, as in the app
    snapshot = sample_snapshot()
    credential = b'{"credentialSubject":{"name":"bench"}}' * 40

    def render() -> bytes:
        return render_certificate(
            snapshot,
            verify_url=f"https://registry.example.org/certificates/{snapshot['serial']}",
            registry_name="Bench Registry",
            public_url="https://registry.example.org",
            fonts=find_fonts(),
        )

    unsigned = render()  # warm-up: font registration happens once per process

    def sign() -> bytes:
        return signer.sign(unsigned, attachments={"certificate.json": credential})

    signed = sign()
    check = validate_pdf(signed, [root_cert])
    if not check.ok:
        raise RuntimeError(f"benchmark PDF does not validate: {check.errors}")

    figures = {
        "render_ms": _median_ms(render, runs),
        "sign_ms": _median_ms(sign, runs),
        "render_and_sign_ms": _median_ms(
            lambda: signer.sign(render(), attachments={"certificate.json": credential}), runs
        ),
        "validate_ms": _median_ms(lambda: validate_pdf(signed, [root_cert]), runs),
    }
    print(f"   runs per figure: {runs}")
    for name, value in figures.items():
        reference = REFERENCE_MS.get(name.removesuffix("_ms"))
        ratio = (
            f"  ({value / reference:.2f}x the NOTES figure {reference:.0f} ms)" if reference else ""
        )
        print(f"   {name:<20} {value:8.1f} ms{ratio}")
    figures["signed_pdf_kb"] = len(signed) / 1024
    print(f"   {'signed_pdf_kb':<20} {figures['signed_pdf_kb']:8.1f} KB")
    return figures


if __name__ == "__main__":
    run()
