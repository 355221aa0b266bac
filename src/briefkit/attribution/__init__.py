"""The attribute-first stages shared by summaries and answers, in pipeline order:
evidence (sentences with offsets, quality filter) → select (relevance, informativeness) →
plan (paraphrase groups across documents) → realise (the model rewrites a group) → verify.
"""
