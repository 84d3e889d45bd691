"""The staff workspace: sign-in with TOTP, the work queue, the case page."""
