"""The Settings area: an organisation's administrators configure it here (the Django
admin stays for Accord's operators)."""
