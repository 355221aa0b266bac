"""Index: embedders, the FAISS dense index, the BM25 sparse index and the retriever."""
