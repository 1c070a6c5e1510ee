"""Shared kernel: app factory, database, accounts and permissions, audit trail, PDF and spreadsheets."""
