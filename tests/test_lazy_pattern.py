"""Patterns compiled on first use behave as re.compile's, and compile once."""

from __future__ import annotations

import re

from studio.core import lazy
from studio.core.lazy import lazy_pattern


def test_a_lazy_pattern_answers_as_a_compiled_one(monkeypatch):
    calls = []
    real = re.compile
    plain = real(r"(?i)item (\d+)")
    monkeypatch.setattr(lazy.re, "compile", lambda *a: calls.append(a) or real(*a))
    text = "Item 1: 2023年报告, item 22: 2024年"
    rx = lazy_pattern(r"(?i)item (\d+)")
    assert not calls  # nothing compiled until used
    assert rx.search(text).group(1) == plain.search(text).group(1) == "1"
    assert rx.findall(text) == plain.findall(text) == ["1", "22"]
    assert [m.span() for m in rx.finditer(text)] == [m.span() for m in plain.finditer(text)]
    assert rx.sub("#", text) == plain.sub("#", text) and rx.split(text) == plain.split(text)
    assert rx.groups == 1 and rx.pattern == plain.pattern
    assert lazy_pattern(r"\w+", re.ASCII).fullmatch("abc") and not lazy_pattern(r"\w+", re.ASCII).fullmatch("报告")
    assert len(calls) == 3  # once per pattern, however often it is used
