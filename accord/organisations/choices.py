"""Organisation-level choices, declared once."""

from django.db import models


class OrganisationKind(models.TextChoices):
    """Whether the organisation handles complaints about itself or mediates between others."""

    IN_HOUSE = "in_house", "In-house complaints team"
    MEDIATION_SERVICE = "mediation_service", "Independent mediation service"


class NationChoice(models.TextChoices):
    """The part of the UK whose bank holidays the organisation's working days follow."""

    ENGLAND_AND_WALES = "ENG", "England and Wales"
    SCOTLAND = "SCT", "Scotland"
    NORTHERN_IRELAND = "NIR", "Northern Ireland"


class ExternalBodyKind(models.TextChoices):
    """What an external body does for a complainant."""

    OMBUDSMAN = "ombudsman", "Ombudsman"
    REDRESS_SCHEME = "redress_scheme", "Redress scheme"
    REGULATOR = "regulator", "Regulator"
