"""Business areas and their single points of contact (SPOCs)."""
