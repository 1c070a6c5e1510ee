"""The county partnership: member organisations, and (later) the quarterly board."""
