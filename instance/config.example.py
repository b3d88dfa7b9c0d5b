# certify settings: copy to instance/config.py (make run does it for you with a random key).
# Every setting can also be given as an environment variable CERTIFY_<NAME>, which wins.

# Required outside testing: a long random value. Keep it secret; changing it signs everyone out.
SECRET_KEY = "replace-me-with-a-long-random-value"

# The database. Default: SQLite in instance/. For more than one app server use PostgreSQL:
# DATABASE_URL = "postgresql+psycopg://certify@localhost/certify"

# The registry's canonical public origin: it fixes the issuer id (did:web), the QR-code target
# and the transparency-log origin, and is recorded on every certificate.
# PUBLIC_URL = "https://registry.example.org"
# REGISTRY_NAME = "Example Impact Sourcing Registry"

# Certificate serial prefix (ISR-XXXX-XXXX-XXXX-C).
# SERIAL_PREFIX = "ISR"

# Passphrase protecting the private keys in instance/keys/ (better: CERTIFY_KEY_PASSPHRASE).
# KEY_PASSPHRASE = None

# Credential and document-signing keys (and optionally the evidence KEK) in a PKCS#11 token
# (docs/operations.md, "Keys in a PKCS#11 token"); the user PIN in instance/pkcs11-pin (0600)
# or CERTIFY_PKCS11_PIN. Unset PKCS11_MODULE: every key is a file in instance/keys/.
# PKCS11_MODULE = "/usr/lib/softhsm/libsofthsm2.so"
# PKCS11_TOKEN_LABEL = "certify"
# EVIDENCE_KEK_IN_TOKEN = False

# Largest evidence upload, in MB.
# MAX_UPLOAD_MB = 20

# Evidence encrypted at rest with a data key per file, wrapped by instance/keys/evidence-kek.key
# (keep that file: without it no evidence can be read). Turning this off is for tests only.
# EVIDENCE_ENCRYPTION = True

# How long evidence is kept after the end of its certification cycle, in years, per kind;
# the daily duties erase what is due (docs/operations.md, "Evidence").
# EVIDENCE_RETENTION_YEARS = {"application": 6, "corrective_action": 6}

# Behind a TLS-terminating reverse proxy: how many proxies to believe about the client's
# address and scheme (X-Forwarded-For/-Proto/-Host). 0 (the default) believes none.
# TRUSTED_PROXIES = 1

# Rate-limit storage: "memory://" for one server, a Redis URL for several.
# RATELIMIT_STORAGE_URI = "redis://127.0.0.1:6379/0"

# Several servers (docs/operations.md, "Deploying on several servers"):
# stored files (evidence, certificate PDFs) in S3-compatible object storage instead of
# instance/evidence and instance/documents; keep the credentials here, not in the shell.
# STORAGE_BACKEND = "s3"
# S3_BUCKET = "certify"
# S3_ENDPOINT_URL = "https://s3.example.org"   # None for AWS
# S3_REGION = "us-east-1"
# S3_ACCESS_KEY_ID = "..."
# S3_SECRET_ACCESS_KEY = "..."
# the job queue shared by every worker
# JOBS_URL = "redis://127.0.0.1:6379/1"
# who may read /metrics: a bearer token for Prometheus, and/or addresses
# METRICS_TOKEN = "a long random value"
# METRICS_ALLOW_FROM = ["10.0.0.0/8"]
# log lines as JSON (make serve sets this)
# LOG_FORMAT = "json"
