"""The certificate PDF page: layout as pure geometry, then drawing with ReportLab.

:func:`~certify.core.pdf.certificate.layout.layout_certificate` computes a
:class:`~certify.core.pdf.certificate.model.CertificateLayout` from a snapshot, placing the
page's parts top to bottom (:mod:`header`, :mod:`holder`, :mod:`sites`, :mod:`scores`,
:mod:`footer`, through a :class:`~certify.core.pdf.certificate.page.Page`), with text fitted by
:mod:`fitting`. :func:`~certify.core.pdf.certificate.drawing.render_certificate` draws exactly
that layout and returns the PDF bytes, unsigned (:mod:`certify.core.pdf.signing` signs them).
:mod:`fonts` holds the fonts it draws with, :mod:`sample` a realistic snapshot.

Callers import from the module that holds a name; nothing is re-exported here.
"""
