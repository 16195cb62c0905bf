"""Integration tests of the read side: selectors and the read API on MariaDB."""
