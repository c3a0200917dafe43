"""Temporary upload files left behind.

Django writes an upload bigger than FILE_UPLOAD_MAX_MEMORY_SIZE to a temporary file in
FILE_UPLOAD_TEMP_DIR and deletes it when the request ends. A web worker killed mid-request
(gunicorn's timeout, a restart) never does, and the file, which may be a member's photo,
would stay for good. Beat's `upload-temp-files` entry removes such files after an hour: no
request lives that long (gunicorn's timeout is 30 s).
"""

import logging
import stat
import tempfile
import time
from pathlib import Path

from django.conf import settings

logger = logging.getLogger(__name__)

# Django's TemporaryUploadedFile names: tempfile's "tmp" prefix, ".upload" + the extension.
UPLOAD_TEMP_PATTERN = "tmp*.upload*"


def clean_upload_temp_dir(*, older_than_seconds: int = 3600) -> int:
    """Deletes Django's temporary upload files not changed for `older_than_seconds` from
    FILE_UPLOAD_TEMP_DIR (or the system's temporary directory); returns how many."""
    directory = Path(settings.FILE_UPLOAD_TEMP_DIR or tempfile.gettempdir())
    cutoff = time.time() - older_than_seconds
    removed = 0
    for path in directory.glob(UPLOAD_TEMP_PATTERN):
        try:
            status = path.lstat()
            if stat.S_ISREG(status.st_mode) and status.st_mtime < cutoff:
                path.unlink()
                removed += 1
        except FileNotFoundError:  # its request ended meanwhile
            continue
    if removed:
        logger.info("uploads.temp_files_removed count=%s", removed)
    return removed
