"""Stand-in commands: changestreams."""
