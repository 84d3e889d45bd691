"""Django's admin app with Accord's site (accord.admin_site): loaded with INSTALLED_APPS,
so it imports nothing that needs the app registry."""

from django.contrib.admin.apps import AdminConfig


class AccordAdminConfig(AdminConfig):
    default_site = "accord.admin_site.VerifiedAdminSite"
