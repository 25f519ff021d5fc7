"""The importer of each kind of CSV import."""

from deals.csv_import.contact_importers import OrganizationImporter, PersonImporter
from deals.csv_import.deal_applying import DealImporter
from deals.models import ImportJob

IMPORTERS = {
    ImportJob.Kind.DEALS: DealImporter,
    ImportJob.Kind.ORGANIZATIONS: OrganizationImporter,
    ImportJob.Kind.PEOPLE: PersonImporter,
}
