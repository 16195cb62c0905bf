"""End-to-end tests of the JSON API through Django's test client."""
