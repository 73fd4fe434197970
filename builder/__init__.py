"""Build a static snapshot of Django Packages: collect, load, render, publish."""

__version__ = "0.1.0"
