from django.contrib.auth.hashers import Argon2PasswordHasher


class QuickArgon2PasswordHasher(Argon2PasswordHasher):
    """Argon2 with the smallest cost, for the test suite only (settings: TESTING): the same
    algorithm and hash format, without spending a second per log-in on a 2-core machine."""

    time_cost = 1
    memory_cost = 64
    parallelism = 1
