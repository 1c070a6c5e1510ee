"""The Channel Panel: membership, pseudonymous cases and post-closure reviews."""
