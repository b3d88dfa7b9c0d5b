"""Serving certify in production: the gunicorn configuration (``gunicorn_conf``), its JSON
access log (``access_log``), and the nginx example (``nginx.conf.example``) that the cluster
test runs."""
