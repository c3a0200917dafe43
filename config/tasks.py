from celery import shared_task

from . import uploads


@shared_task(name="config.tasks.clean_upload_temp_dir")
def clean_upload_temp_dir() -> int:
    return uploads.clean_upload_temp_dir()
