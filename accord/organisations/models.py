"""Organisations, their teams and calendars, respondent businesses, external bodies."""

from __future__ import annotations

import datetime as dt

from django.db import models

from accord.organisations.choices import ExternalBodyKind, NationChoice, OrganisationKind


class Organisation(models.Model):
    """A complaints team or mediation service that runs one procedure."""

    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=OrganisationKind.choices)
    nation = models.CharField(max_length=3, choices=NationChoice.choices)
    reference_prefix = models.CharField(
        max_length=6, unique=True, help_text="Starts every case reference, e.g. OCC."
    )
    procedure_key = models.CharField(
        max_length=60, help_text="The procedure this organisation runs (a pack key)."
    )
    closing_time = models.TimeField(
        default=dt.time(17, 0),
        help_text="Anything received at or after this time counts as received the next working day.",
    )
    closures_published_through = models.DateField(
        null=True,
        blank=True,
        help_text="The last day for which closure days are published; later due dates are provisional.",
    )
    address = models.TextField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    email = models.EmailField(blank=True)
    complaints_email = models.EmailField(blank=True)
    website = models.URLField(blank=True)
    # The letterhead (set in Settings). Who signs the organisation's letters (a named
    # person and their role); empty: the member of staff who sends the letter signs it,
    # as the complaints team.
    letterhead = models.TextField(
        blank=True,
        help_text="The lines at the top of every letter: for example the name, address "
        "and how to get in touch. Empty: the name and contact details above.",
    )
    signatory_name = models.CharField(max_length=200, blank=True)
    signatory_role = models.CharField(max_length=200, blank=True)

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        from accord.procedures.registry import is_own_key, registry

        known = [  # the packs, and this organisation's own procedures (not another's)
            key
            for key in registry().keys()  # noqa: SIM118 (a Registry, not a dict)
            if not is_own_key(key) or key.startswith(f"{self.slug}:")
        ]
        if self.procedure_key not in known:
            raise ValidationError(
                {
                    "procedure_key": f"no procedure '{self.procedure_key}': choose one of "
                    + ", ".join(known)
                }
            )


class Team(models.Model):
    """A group of staff cases can be assigned to."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="teams")
    name = models.CharField(max_length=120)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organisation", "name"], name="unique_team_name")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.organisation.slug})"


class ClosureDay(models.Model):
    """A day the organisation is closed, beyond weekends and bank holidays."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="closure_days"
    )
    date = models.DateField()
    name = models.CharField(max_length=120)

    class Meta:
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "date"], name="one_closure_a_day")
        ]

    def __str__(self) -> str:
        return f"{self.date}: {self.name}"


class ExternalBody(models.Model):
    """An ombudsman, redress scheme or regulator the organisation signposts."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="external_bodies"
    )
    kind = models.CharField(max_length=20, choices=ExternalBodyKind.choices)
    name = models.CharField(max_length=200)
    website = models.URLField(blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    address = models.TextField(blank=True)
    time_limit = models.CharField(
        max_length=300, blank=True, help_text="The complainant's time limit, in words."
    )

    class Meta:
        verbose_name_plural = "external bodies"

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"


class Business(models.Model):
    """A respondent: a member business complained about (mediation service), or the
    organisation itself (in-house team)."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="businesses"
    )
    name = models.CharField(max_length=200)
    is_self = models.BooleanField(
        default=False, help_text="The organisation itself, for an in-house complaints team."
    )
    address = models.TextField(blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)

    class Meta:
        verbose_name_plural = "businesses"
        constraints = [
            models.UniqueConstraint(
                fields=["organisation"],
                condition=models.Q(is_self=True),
                name="one_self_business",
            )
        ]

    def __str__(self) -> str:
        return self.name
