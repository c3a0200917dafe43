"""Temporary upload files a killed request left behind go after an hour (config.uploads), and
beat runs the cleanup."""

import os
import time

from django.conf import settings
from django.core.files.uploadedfile import TemporaryUploadedFile

from config import tasks, uploads


def age(path, seconds):
    then = time.time() - seconds
    os.utime(path, (then, then))


def test_the_cleanup_deletes_only_djangos_upload_files_older_than_an_hour(settings, tmp_path):
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    # A real upload's temporary file, as Django names it, left open by a request that died.
    upload = TemporaryUploadedFile("portrait.jpg", "image/jpeg", 21 * 1024 * 1024, None)
    left_behind = tmp_path / os.path.basename(upload.temporary_file_path())
    assert left_behind.exists()
    upload.write(b"\xff\xd8 a member's photo")
    upload.flush()
    age(left_behind, 2 * 3600)
    in_progress = tmp_path / "tmpabc123.upload.png"
    in_progress.write_bytes(b"still being received")
    age(in_progress, 5 * 60)
    not_an_upload = tmp_path / "notes.txt"
    not_an_upload.write_text("not Django's")
    age(not_an_upload, 5 * 3600)

    assert tasks.clean_upload_temp_dir() == 1
    assert not left_behind.exists()
    assert in_progress.exists() and not_an_upload.exists()
    upload.close()  # the open file of the "dead" request: nothing left to delete


def test_beat_runs_the_cleanup_often_enough():
    entry = settings.CELERY_BEAT_SCHEDULE["upload-temp-files"]
    assert entry["task"] == tasks.clean_upload_temp_dir.name
    assert entry["schedule"] <= 3600


def test_without_a_temp_dir_setting_the_system_temp_dir_is_cleaned(settings, tmp_path, monkeypatch):
    settings.FILE_UPLOAD_TEMP_DIR = None
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    old = tmp_path / "tmpzz.upload.gif"
    old.write_bytes(b"GIF89a")
    age(old, 3601)
    assert uploads.clean_upload_temp_dir() == 1
    assert not old.exists()
