"""The home page and other site-wide pages."""
