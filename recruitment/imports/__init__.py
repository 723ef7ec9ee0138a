"""The spreadsheet importer (issue 10 §1): candidates, members, class results and quotas
from the CSV and XLSX files offices keep.

- ``reading``: bytes → a table of rows, or a refusal that names the problem;
- ``values``: cells → dates, citizen IDs, choices, read strictly;
- ``columns``: which header is which column;
- ``candidates``, ``members``, ``results``, ``quotas``: one kind each, writing through the
  services and the pipeline's rules;
- ``runner``: the preview (a rolled-back run) and the commit, in batches;
- ``workbook``: the XLSX template of each kind;
- ``tasks``: the background tasks; ``models``: the job.
"""
