"""Ghostwriter as a service: HTTP API (``app``), profile store (``store``), live per-user
indexes (``index``), a batching worker (``worker``) and the web page (``page.html``).

Run it with ``ghostwriter serve``; nothing here imports FastAPI or a model until used.
"""
