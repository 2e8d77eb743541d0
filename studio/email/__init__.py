"""The email edition of an episode."""
