"""Evaluation: datasets of reference facts, SummHay adapters and retrieval metrics."""
