"""Certificates: keys, serials, the issuance pipeline, credentials, status lists, lifecycle."""
