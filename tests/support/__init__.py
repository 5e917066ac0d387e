"""Real loopback servers for tests: an HTTP sink and an SMTP server."""
