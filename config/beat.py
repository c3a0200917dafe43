"""Celery beat's scheduler: django-celery-beat's DatabaseScheduler with the settings as the
source of truth.

The database keeps when each entry last ran, so a restarted beat (every deploy) runs a daily
task that is due and waits for one that ran an hour ago. What runs, and how often, is
CELERY_BEAT_SCHEDULE: at start beat writes it into the database (keeping each entry's last
run) and removes entries that are no longer in it, so a change in admin does not outlive the
next start.
"""

from django_celery_beat.models import PeriodicTask
from django_celery_beat.schedulers import DatabaseScheduler


def _database_entry(entry: dict) -> dict:
    """CELERY_BEAT_SCHEDULE's entry in the form the model takes: `options["expires"]` in
    seconds becomes the model's `expire_seconds` (DatabaseScheduler would drop it), and an
    entry switched off in admin is switched on again."""
    entry = dict(entry)
    options = dict(entry.get("options") or {})
    expires = options.pop("expires", None)
    if isinstance(expires, int | float):
        options["expire_seconds"] = int(expires)
    entry["options"] = options
    entry["enabled"] = True
    return entry


class SettingsDatabaseScheduler(DatabaseScheduler):
    def enabled_models_qs(self):
        # Every entry, every time. The parent leaves out crontab entries whose hour is more
        # than two hours away (a speed-up for thousands of entries): a nightly run missed
        # while beat was down would then wait for the next night's window instead of running
        # at the restart.
        return self.Model.objects.enabled()

    def setup_schedule(self):
        # No install_default_entries: its result-backend cleanup has nothing to clean here
        # (no result backend).
        configured = self.app.conf.beat_schedule or {}
        self.update_from_dict({name: _database_entry(e) for name, e in configured.items()})
        PeriodicTask.objects.exclude(name__in=list(configured)).delete()
