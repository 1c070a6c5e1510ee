"""Delivery plans: SPOC action plans and the county delivery plan."""
