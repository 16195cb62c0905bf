"""Stand-in commands: ddl."""
