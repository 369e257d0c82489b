"""Data layer: importers that yield Documents, and the examples/splits built from them."""
