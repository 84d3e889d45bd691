"""Procedures as data: versioned definitions loaded from files, validated, interpreted."""
