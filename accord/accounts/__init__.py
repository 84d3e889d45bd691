"""People who use Accord and what they may do."""
