"""Ghostwriter: finish a document in its author's voice."""

__version__ = "0.1.0"
