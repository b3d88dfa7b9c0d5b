"""Stored files behind one interface: evidence and signed documents, content-addressed, in
the local folder (default) or S3-compatible object storage.

``backends`` (the interface, the local folder), ``s3`` (boto3), ``documents`` (signed PDFs),
``setup`` (the app's stores from its settings), ``transfer`` (hash-checked copies), ``cli``
(``storage status|verify|migrate``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    """Register the ``storage`` commands."""
    from certify.storage import cli

    app.cli.add_command(cli.storage_group)
