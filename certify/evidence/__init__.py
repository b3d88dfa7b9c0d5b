"""The evidence store: uploaded evidence files, content-addressed on disk (see ``store.py``)."""
