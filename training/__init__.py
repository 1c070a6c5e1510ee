"""WRAP and Prevent training coverage against the partnership's target."""
