"""Retrieval over one user's profile: BM25 (sparse), dense embeddings, and snippets.

The rankers in :mod:`ghostwriter.rank` combine these; everything here is batch-first:
all examples' profiles are laid out once (:mod:`.layout`) and scored in a few array operations.
"""
