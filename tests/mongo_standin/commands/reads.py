"""Stand-in commands: reads."""
