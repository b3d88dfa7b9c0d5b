"""certify's pure core: plain data in, plain data out.

Nothing in this package may import Flask, SQLAlchemy or any web module of certify, read or write
a file, or talk to the terminal (``tests/core/test_purity.py`` enforces both), so the offline
verifier, the CLI and fast tests can use it directly. Clocks, keys, URLs and whatever was read
from disk (rubric files, their schema, the lock file, fonts, the OS user) are passed in.

Topics are sub-packages, each saying in its ``__init__`` what it holds: ``rubric``, ``scoring``,
``credentials``, ``pdf``, ``tlog``, ``verification``, ``filetypes`` and ``auditreport``.
Single-topic modules stay here: ``canonical``, ``actor``, ``audit_chain``, ``serial``,
``workflow``, ``nonconformity``, ``complaints``, ``lockout``, ``countries``, ``secret_key``.
"""
