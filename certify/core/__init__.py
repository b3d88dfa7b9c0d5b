"""certify's pure core: plain data in, plain data out.

Nothing in this package may import Flask, SQLAlchemy or any web module of certify
(``tests/core/test_purity.py`` enforces it), so the offline verifier, the CLI and
fast tests can use it directly. Clocks, keys and URLs are passed in.
"""
