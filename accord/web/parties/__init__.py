"""The parties' pages: the complainant (signed link) and the respondent business (log in)."""
