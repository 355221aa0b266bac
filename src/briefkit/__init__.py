"""briefkit: cited topic summaries, Q&A and evaluation over a local article corpus.

The heavy parts (torch, transformers, faiss) are imported lazily by the modules that
need them, so importing this package and running ``briefkit --help`` stay fast.
"""

__version__ = "0.1.0"
