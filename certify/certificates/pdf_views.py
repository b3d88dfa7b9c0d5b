"""``GET /certificates/<serial>.pdf``: the signed PDF, served as stored (blueprint
``certificates``).

The bytes are the ones the issuer signed and checked; they never change, so they are cached
for long, with the stored SHA-256 as the ETag. A serial typed from paper redirects to the
canonical URL, like the ``.json`` route.
"""

from __future__ import annotations

from flask import abort
from sqlalchemy import select
from werkzeug.wrappers import Response as BaseResponse

from certify.access import public
from certify.certificates.models import Certificate
from certify.certificates.pdf import CertificateDocument, pdf_file_name
from certify.certificates.serials import redirect_to_canonical
from certify.certificates.views import LONG_CACHE, _document, bp
from certify.db import db_session


@bp.get("/certificates/<serial>.pdf")
@public
def certificate_pdf(serial: str) -> BaseResponse:
    moved = redirect_to_canonical("certificates.certificate_pdf", serial)
    if moved is not None:
        return moved
    document = db_session().scalar(
        select(CertificateDocument)
        .join(Certificate, Certificate.id == CertificateDocument.certificate_id)
        .where(Certificate.serial == serial)
    )
    if document is None:
        abort(404)
    response = _document(document.pdf, "application/pdf", LONG_CACHE, etag=document.pdf_sha256)
    # Shown in the browser's PDF viewer; "save" keeps a name that says what it is.
    response.headers["Content-Disposition"] = f'inline; filename="{pdf_file_name(serial)}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
