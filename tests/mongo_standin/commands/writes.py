"""Stand-in commands: writes."""
