"""``flask --app certify storage status|verify|migrate``: where stored files are, whether
every one is intact, and moving them between the local folder and S3-compatible storage."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from certify.db import db_session
from certify.storage.backends import BlobBackend
from certify.storage.setup import (
    DOCUMENTS,
    EVIDENCE,
    document_store,
    evidence_store,
    make_backend,
    s3_client,
)
from certify.storage.transfer import CopyReport, copy_blobs, hash_blob, store_bytes_checked


@click.group("storage")
def storage_group() -> None:
    """Stored files: evidence and signed documents."""


def _temp_dir() -> Path:
    return Path(current_app.config["EVIDENCE_DIR"]) / "tmp"


@storage_group.command("status")
@with_appcontext
def storage_status() -> None:
    """Where each area's files are, and how many there are."""
    for area, backend in (
        (EVIDENCE, evidence_store().backend),
        (DOCUMENTS, document_store().backend),
    ):
        count = sum(1 for _ in backend.iter_digests())
        click.echo(f"{area}: {count} file(s) in {backend.describe()}")


def referenced_documents() -> list[tuple[str, bytes]]:
    """``(pdf_sha256, pdf)`` of every certificate document in the database."""
    from certify.certificates.pdf import CertificateDocument

    rows = db_session().execute(select(CertificateDocument.pdf_sha256, CertificateDocument.pdf))
    return [(digest, bytes(pdf)) for digest, pdf in rows]


def referenced_evidence() -> set[str]:
    """The digest of every evidence file a database row names (erased files excepted: their
    rows stay, their bytes and keys are gone for good)."""
    from certify.applications.models import Evidence

    query = select(Evidence.sha256).where(Evidence.erased_at.is_(None)).distinct()
    return set(db_session().scalars(query))


@storage_group.command("verify")
@with_appcontext
def storage_verify() -> None:
    """Re-hash every stored file; check every file the database names is there and intact.
    Exits 1 naming each problem."""
    problems: list[str] = []
    evidence = evidence_store().backend
    documents = document_store().backend
    wanted = referenced_evidence()
    for digest in sorted(wanted):
        if hash_blob(evidence, digest) != digest:
            problems.append(f"evidence {digest}: missing or altered")
    docs = referenced_documents()
    for digest, pdf in docs:
        if hash_blob(documents, digest) != digest:
            problems.append(f"document {digest}: missing or altered in storage")
        if _sha256(pdf) != digest:
            problems.append(f"document {digest}: the database copy is altered")
    orphans = sum(1 for d in evidence.iter_digests() if d not in wanted)
    orphans += sum(1 for d in documents.iter_digests() if d not in {d for d, _ in docs})
    for problem in problems:
        click.echo(problem, err=True)
    click.echo(
        f"{len(wanted)} evidence file(s) and {len(docs)} document(s) checked, "
        f"{len(problems)} problem(s), {orphans} unreferenced file(s)"
    )
    if problems:
        raise SystemExit(1)


@storage_group.command("backfill")
@with_appcontext
def storage_backfill() -> None:
    """Copy the PDFs of certificates issued before documents went to storage from the
    database into the document store (hash checked). Safe to run again."""
    target = document_store().backend
    copied = present = 0
    for digest, pdf in referenced_documents():
        stored, was_copied = store_bytes_checked(target, pdf, _temp_dir())
        if stored != digest:
            raise click.ClickException(f"document {digest}: the database copy is altered")
        copied, present = copied + was_copied, present + (not was_copied)
    click.echo(f"documents: {copied} copied, {present} already there ({target.describe()})")


def _sha256(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()


@storage_group.command("migrate")
@click.option("--to", "target_kind", type=click.Choice(["s3", "local"]), required=True)
@with_appcontext
def storage_migrate(target_kind: str) -> None:
    """Copy every stored file into the S3 bucket (--to s3: from the local folders, using the
    S3_* settings) or back into the local folders (--to local), and every certificate PDF
    from the database into the target's documents; each hash is checked after the copy. Run
    it again until it reports no problems, then set STORAGE_BACKEND to the target."""
    config = current_app.config
    source_kind = "local" if target_kind == "s3" else "s3"
    if not config.get("S3_BUCKET"):
        raise click.ClickException("set S3_BUCKET (and the other S3_* settings) first")
    client = s3_client(config)
    reports: list[tuple[str, CopyReport]] = []
    for area in (EVIDENCE, DOCUMENTS):
        source = make_backend(config, area, source_kind, client)
        target = make_backend(config, area, target_kind, client)
        click.echo(f"{area}: {source.describe()} -> {target.describe()}")
        reports.append((area, copy_blobs(source, target, _temp_dir(), label=area)))
    documents_target: BlobBackend = make_backend(config, DOCUMENTS, target_kind, client)
    from_db = CopyReport()
    for digest, pdf in referenced_documents():
        try:
            _stored, copied = store_bytes_checked(documents_target, pdf, _temp_dir())
        except ValueError as exc:
            from_db.problems.append(str(exc))
            continue
        if _stored != digest:
            from_db.problems.append(f"document {digest}: the database copy is altered")
        elif copied:
            from_db.copied += 1
        else:
            from_db.present += 1
    reports.append(("certificate PDFs from the database", from_db))
    _print_reports(reports)


def _print_reports(reports: list[tuple[str, CopyReport]]) -> None:
    failed = False
    for name, report in reports:
        click.echo(
            f"{name}: {report.copied} copied, {report.present} already there, "
            f"{len(report.problems)} problem(s)"
        )
        for problem in report.problems:
            click.echo(f"  {problem}", err=True)
        failed = failed or not report.ok
    if failed:
        raise SystemExit(1)
    click.echo("every hash checked: the copy is complete")
