"""Generation: the backend protocol and registry, the transformers backend, models and the cache."""
