"""Settings package: base (everything from the environment) and per-environment overrides."""
