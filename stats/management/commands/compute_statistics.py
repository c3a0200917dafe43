from django.core.management.base import BaseCommand

from stats.services import compute_statistics


class Command(BaseCommand):
    help = (
        "Compute the anonymised statistics now (the nightly task does the same): the last days "
        "and weeks are computed again and replace their rows."
    )

    def handle(self, *args, **options):
        written = compute_statistics()
        for table, count in written.items():
            self.stdout.write(f"{table}: {count} cells")
