#!/usr/bin/env python
import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    # A shell with no configuration is a developer's: the embedded default (SQLite, DEBUG).
    # Production always sets DATABASE_URL (and DEBUG=0), so this never applies there.
    if "DATABASE_URL" not in os.environ:
        os.environ.setdefault("DEBUG", "1")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
