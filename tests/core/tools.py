"""Helpers for tests that drive Debian tools (poppler's pdfsig/pdftoppm, NSS certutil, zbarimg,
LibreOffice Calc).

A test that needs a tool calls :func:`require_tool`: it skips when the tool is absent, unless
``CERTIFY_REQUIRE_TOOLS`` is set (CI sets it to 1), where a missing tool is a failure: CI
must not pass by quietly not running the checks that matter.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

DEBIAN_PACKAGES = {
    "pdfsig": "poppler-utils",
    "pdftoppm": "poppler-utils",
    "pdftotext": "poppler-utils",
    "pdfinfo": "poppler-utils",
    "pdffonts": "poppler-utils",
    "certutil": "libnss3-tools",
    "zbarimg": "zbar-tools",
    "soffice": "libreoffice-calc-nogui",
    "mutool": "mupdf-tools",
    "nginx": "nginx",
    "pg_dump": "postgresql-client",
    "pg_restore": "postgresql-client",
    "softhsm2-util": "softhsm2",
}


def tools_required() -> bool:
    """True when CERTIFY_REQUIRE_TOOLS is set to anything but empty or 0."""
    return os.environ.get("CERTIFY_REQUIRE_TOOLS", "") not in ("", "0")


def require_tool(name: str) -> str:
    """Return the path of the command *name*; skip the test if it is missing, or fail it
    when CERTIFY_REQUIRE_TOOLS is set."""
    path = shutil.which(name)
    if path:
        return path
    package = DEBIAN_PACKAGES.get(name, "?")
    message = f"{name} not found (Debian package {package})"
    if tools_required():
        pytest.fail(f"{message}, and CERTIFY_REQUIRE_TOOLS is set")
    pytest.skip(message)
    raise AssertionError("unreachable")  # pytest.skip raises


def run(args: list[str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run a tool, capturing text output; never through a shell."""
    return subprocess.run(args, capture_output=True, text=True, timeout=timeout, check=False)


def make_nss_db(folder: Path, root_pem: bytes) -> str:
    """A fresh NSS database in *folder* trusting *root_pem*; returns the ``sql:`` spec."""
    certutil = require_tool("certutil")
    folder.mkdir(parents=True, exist_ok=True)
    spec = f"sql:{folder}"
    created = run([certutil, "-N", "-d", spec, "--empty-password"])
    assert created.returncode == 0, created.stderr
    root_file = folder / "root.pem"
    root_file.write_bytes(root_pem)
    added = run([certutil, "-A", "-d", spec, "-n", "root", "-t", "C,C,C", "-i", str(root_file)])
    assert added.returncode == 0, added.stderr
    return spec


@dataclass(frozen=True)
class PdfsigResult:
    output: str
    signature_valid: bool
    certificate_trusted: bool
    total_document_signed: bool

    @property
    def ok(self) -> bool:
        return self.signature_valid and self.certificate_trusted and self.total_document_signed


def pdfsig(nssdir: str, pdf: Path) -> PdfsigResult:
    """Run ``pdfsig -nssdir NSSDIR PDF`` and read its verdict from the text: pdfsig exits 0
    even for altered files. No -no-ocsp (it turns "trusted" into an unknown issue)."""
    tool = require_tool("pdfsig")
    done = run([tool, "-nssdir", nssdir, str(pdf)])
    output = done.stdout + done.stderr
    return PdfsigResult(
        output=output,
        signature_valid="Signature is Valid" in output,
        certificate_trusted="Certificate is Trusted" in output,
        total_document_signed="Total document signed" in output,
    )


def pdf_to_png(pdf: Path, out_prefix: Path, dpi: int = 150) -> Path:
    """Render page 1 of *pdf* to ``out_prefix.png`` with pdftoppm."""
    tool = require_tool("pdftoppm")
    done = run([tool, "-png", "-r", str(dpi), "-singlefile", str(pdf), str(out_prefix)])
    assert done.returncode == 0, done.stderr
    png = out_prefix.with_name(out_prefix.name + ".png")
    assert png.is_file()
    return png


def read_qr(png: Path) -> list[str]:
    """Decode every QR code in *png* with zbarimg (raw payloads, one per symbol)."""
    tool = require_tool("zbarimg")
    done = run([tool, "--quiet", "--raw", "-Sdisable", "-Sqrcode.enable", str(png)])
    assert done.returncode in (0, 4), done.stderr  # 4 = no symbol found
    return [line for line in done.stdout.splitlines() if line]


def open_in_spreadsheet(csv_path: Path) -> list[list[tuple[str, str | None]]]:
    """Open *csv_path* in LibreOffice Calc, as a person double-clicking it would (formulas are
    evaluated on import), save it as flat ODS and return each row's cells as (shown text,
    formula or None)."""
    import xml.etree.ElementTree as ET

    soffice = require_tool("soffice")
    out = csv_path.parent / "calc"
    profile = csv_path.parent / "calc-profile"  # a profile of its own: tests run in parallel
    converted = run(
        [
            soffice,
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            # comma-separated, double quotes, UTF-8 (76), from line 1: what the import dialog
            # proposes for this file; formulas are evaluated, as by default in the dialog
            "--infilter=CSV:44,34,76,1",
            "--convert-to",
            "fods",
            "--outdir",
            str(out),
            str(csv_path),
        ],
        timeout=120,
    )
    fods = out / (csv_path.stem + ".fods")
    assert fods.exists(), converted.stdout + converted.stderr
    table = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
    text = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
    rows = []
    for row in ET.parse(fods).iter(f"{{{table}}}table-row"):
        cells = [
            (
                "".join(p.text or "" for p in cell.iter(f"{{{text}}}p")),
                cell.get(f"{{{table}}}formula"),
            )
            for cell in row.iter(f"{{{table}}}table-cell")
        ]
        if any(shown or formula for shown, formula in cells):
            rows.append(cells)
    return rows
