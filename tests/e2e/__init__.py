"""End-to-end tests: the HTTP API and the browser demo."""
