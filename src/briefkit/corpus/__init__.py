"""Corpus: read files, clean, deduplicate, chunk and store articles."""
