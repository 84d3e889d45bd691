"""Public pages the quality app owns: the published procedure of each organisation."""

from django.urls import path

from accord.quality import publication

urlpatterns = [
    path("<slug:slug>/procedure/", publication.procedure_page, name="published-procedure"),
    path("<slug:slug>/procedure.pdf", publication.procedure_pdf, name="published-procedure-pdf"),
]
