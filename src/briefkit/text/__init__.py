"""Text rules shared by every stage: sentences, word lists, figures and dates. One definition each."""
