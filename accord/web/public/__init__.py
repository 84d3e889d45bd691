"""The public side: complaint forms, confirmation, the published procedure."""
