"""Demo data for `manage.py seed_demo`: the statistics computed from the demo members, their
profiles, conversations and orders (stats is the last app, so they all exist by now), so the
dashboard of `make run` shows charts at once. Idempotent: a second run replaces the rows."""

from .services import compute_statistics


def seed_demo(*, members) -> str:
    written = compute_statistics()
    return f"{sum(written.values())} statistics cells computed"
