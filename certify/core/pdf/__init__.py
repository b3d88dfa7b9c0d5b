"""Certificate PDFs: the page, its PAdES signature and the validation of signed files.

- :mod:`~certify.core.pdf.certificate`: the page's layout and drawing (a sub-package).
- :mod:`~certify.core.pdf.signing`: :class:`~certify.core.pdf.signing.PdfSigner`.
- :mod:`~certify.core.pdf.validation`: :func:`~certify.core.pdf.validation.validate_pdf`,
  which never raises on hostile input.
- :mod:`~certify.core.pdf.container`: ``/Contents`` holds exactly the CMS certify writes
  (the published certificates byte for byte) and zero padding.
- :mod:`~certify.core.pdf.reading`: reading PDFs within size and decode limits, and the
  embedded files of the signed revision.
- :mod:`~certify.core.pdf.pki`: the registry's root CA and document-signing certificates.
- :mod:`~certify.core.pdf.fastpaths`: a faster hex-string reader and ESS issuer match in
  certify's own pyHanko reader and validation, without touching pyHanko's globals.

Callers import from the module that holds a name; nothing is re-exported here.
"""
