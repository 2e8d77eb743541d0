"""A fresh clone has nothing beside it: tests and benchmarks read only files in the repository."""

import re
from pathlib import Path

from tests.conftest import REPO, find_seeds

OUTSIDE = re.compile(r"""\.\./shared|/work/|["']shared["']""")


def test_seed_scripts_ship_with_the_tests():
    seeds = find_seeds()
    assert seeds.is_relative_to(REPO)
    assert len(sorted(seeds.glob("00[0-4]_*.txt"))) == 5


def test_no_test_or_benchmark_reads_outside_the_repository():
    offenders = []
    for folder in ("tests", "benchmarks"):
        for path in (REPO / folder).rglob("*.py"):
            if path.name == Path(__file__).name:
                continue
            for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if OUTSIDE.search(line):
                    offenders.append(f"{path.relative_to(REPO)}:{n}: {line.strip()}")
    assert not offenders, "\n".join(offenders)
