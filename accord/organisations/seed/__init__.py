"""The three seed organisations, as data."""
