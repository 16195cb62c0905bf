"""Benchmark peer: settings of the django-cqrs master and replica (one project, two modules)."""
