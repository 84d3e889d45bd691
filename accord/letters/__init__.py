"""Letters: the wording each procedure step requires, checked for completeness,
rendered as HTML, plain text and PDF, and kept exactly as sent."""
