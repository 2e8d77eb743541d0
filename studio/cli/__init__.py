"""The `studio` command line: a thin client of the library, which never imports it.

Each module holds the commands of one area (`app.COMMAND_MODULES` names which), imported when one
of its commands runs; a command parses its options, calls library functions and prints what they report.
"""

from __future__ import annotations

from studio.cli.app import cli


def main() -> None:
    cli(prog_name="studio")


__all__ = ["cli", "main"]
