"""Briefs: summaries and answers, their result types and the strategies that write them."""
