"""The script formats Studio reads: the one registry the CLI's --format choices and detection use.

Add a format by writing a module with a `READER` (studio.ingest.reader.Reader) and listing it here.
"""

from __future__ import annotations

from studio.ingest import article, hugo, markdown, newsletter, plaintext, report, transcript
from studio.ingest.reader import Reader

# in detection order: on a tie, the earlier reader wins
FORMATS: dict[str, Reader] = {r.name: r for r in (article.READER, hugo.READER, markdown.READER, newsletter.READER,
                                                  plaintext.READER, report.READER, transcript.READER)}
SCRIPT_SUFFIXES = (".md", ".markdown", ".txt")  # what `studio build` and `studio check` take from episodes/


def format_names() -> list[str]:
    return sorted(FORMATS)
