"""The background tasks of the importer (Django's tasks framework, database backend).

A task is given the job's id only: the worker reads the file from the job's row, so it
may run on another machine than the web server that received it.
"""

from django_tasks import task

from recruitment.imports import runner
from recruitment.imports.models import ImportJob


@task()
def check_import(job_id: int) -> None:
    job = ImportJob.objects.select_related("by__unit").filter(pk=job_id).first()
    if job is not None:
        runner.check(job)


@task()
def commit_import(job_id: int) -> None:
    job = ImportJob.objects.select_related("by__unit").filter(pk=job_id).first()
    if job is not None:
        runner.commit(job)
