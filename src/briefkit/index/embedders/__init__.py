"""Sentence embedders: the base class, model names, and the torch and ONNX Runtime backends, loaded by name
(:mod:`.load`)."""
