"""Support scorers: does a text state a claim? Used at run time by the verifier and, independently, by the
evaluation."""
