"""Stand-in commands: change streams are opened through aggregate (see tests.mongo_standin.changestream)."""
