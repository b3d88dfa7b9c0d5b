"""The audit report an ISSP receives after the decision: ``model`` (what it holds, how an
auditor's answer reads) and ``drawing`` (the PDF pages, unsigned; the web side signs them).
It is not a certificate, and says so on every page."""
