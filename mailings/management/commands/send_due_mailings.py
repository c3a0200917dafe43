"""Runs the mailing jobs of Celery beat once: starts campaigns whose send time has come (and
finishes, resumes or releases what a dead worker left) and sends the suggestion mails that are
due. `make run` has no beat: run this to see campaign and suggestion mails in the console."""

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Start due campaigns and send due suggestion mails now (what beat does)."

    def handle(self, *args, **options):
        from mailings.sending import run_campaigns
        from mailings.suggestions import send_suggestion_mails

        run_campaigns()
        sent = send_suggestion_mails()
        self.stdout.write(f"Campaigns checked; {sent} suggestion mail(s) queued.")
