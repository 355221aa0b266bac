"""How a summary is written: attributed (evidence first, the model rewrites) or drafted (the model writes and cites,
then the verifier checks)."""
