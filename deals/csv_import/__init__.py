"""The CSV import (docs/domain/imports.md), one module per job:

- ``files``: the file's encoding, separator and rows as a stream; ``values``: its cells
  (amounts, dates) and the row reader; ``mapping``: the fields columns map to, first guess.
- ``upload``: storing the upload in chunks and reading it back; ``forms``: the upload and
  mapping forms.
- ``plans``: rows → plans → outcomes, shared by every kind; ``contact_book``: organizations
  and people found or made; ``deal_planning`` / ``deal_applying``: deal rows;
  ``contact_importers``: organization and person rows; ``kinds``: which importer for which.
- ``checking``: the dry run; ``running``: the run in batches; ``recovery``: stalled jobs
  sent again; ``cancelling``: a deactivated user's jobs; ``retention``: old files deleted.
"""
