"""Bad input: a clear one-line ScriptError or a correct result, never a traceback or a hang."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from studio.core.errors import ScriptError
from studio.ingest import format_names, read_episode

FORMATS = [None, "transcript", "hugo", "newsletter", "article", "report", "markdown", "text"]


def write_bytes(tmp_path: Path, data: bytes, name: str = "script.txt") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def error_of(path: Path, fmt: str | None = None) -> str:
    with pytest.raises(ScriptError) as info:
        read_episode(path, fmt)
    message = str(info.value)
    assert "\n" not in message and message.startswith(str(path))
    return message


@pytest.mark.parametrize("data", [b"", b"   \n\t\r\n  ", "\u3000\n".encode()])
def test_empty_and_whitespace(tmp_path, data):
    assert error_of(write_bytes(tmp_path, data)).endswith("the script is empty")


def test_binary_data(tmp_path):
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4
    assert error_of(write_bytes(tmp_path, png)).endswith("binary data, not a text script")


def test_missing_file_and_directory(tmp_path):
    assert error_of(tmp_path / "nope.txt").endswith("file not found")
    assert "is a directory" in error_of(tmp_path)


@pytest.mark.parametrize("encoding", ["gb18030", "gbk", "utf-16"])
def test_chinese_legacy_encodings_decode_correctly(tmp_path, seeds_dir, encoding):
    (seed,) = seeds_dir.glob("000_*.txt")
    text = seed.read_text(encoding="utf-8")
    expected = read_episode(seed)
    got = read_episode(write_bytes(tmp_path, text.encode(encoding)))
    assert [(it.title, it.text) for it in got.items] == [(it.title, it.text) for it in expected.items]


def test_undecodable_text_names_the_encoding_to_use(tmp_path):
    message = error_of(write_bytes(tmp_path, "Café crème, déjà vu. Ça va?".encode("cp1252")))
    assert "save it as UTF-8" in message and "Latin-1" in message


def test_utf8_bom_and_front_matter(tmp_path):
    text = '+++\ntitle = "Weekly"\ndate = 2023-06-02\n+++\n\n## One\n\nBody one.\n'
    ep = read_episode(write_bytes(tmp_path, b"\xef\xbb\xbf" + text.encode(), "post.md"))
    assert ep.title == "Weekly" and ep.format == "hugo"
    assert [it.title for it in ep.items] == ["One"]


@pytest.mark.parametrize("newline", ["\r\n", "\r"])
def test_crlf_and_cr_line_endings(tmp_path, seeds_dir, newline):
    for seed in sorted(seeds_dir.glob("*.txt")):
        text = seed.read_text(encoding="utf-8")
        expected = read_episode(seed)
        got = read_episode(write_bytes(tmp_path, text.replace("\n", newline).encode(), seed.name))
        assert got.format == expected.format
        assert [(it.title, it.text, it.links) for it in got.items] == [
            (it.title, it.text, it.links) for it in expected.items
        ]


def test_toml_front_matter_syntax_error_reports_file_and_line(tmp_path):
    text = '+++\ntitle = "Weekly"\ndate = 2023-06-02\nsummary = "unclosed\n+++\n\nbody\n'
    message = error_of(write_bytes(tmp_path, text.encode()))
    assert message.startswith(f"{tmp_path / 'script.txt'}:4: front matter TOML error")


def test_yaml_front_matter_syntax_error_reports_file_and_line(tmp_path):
    text = "---\ntitle: Weekly\ntags: [a, b\nnumber: 2\n---\n\nbody\n"
    message = error_of(write_bytes(tmp_path, text.encode()))
    assert message.startswith(f"{tmp_path / 'script.txt'}:")
    assert "front matter YAML error" in message
    line = int(message.split(":")[1])
    assert 3 <= line <= 5  # the unclosed list, or where YAML noticed it


def test_front_matter_problems(tmp_path):
    assert error_of(write_bytes(tmp_path, b'+++\ntitle = "x"\n')).endswith(":1: front matter opened with +++ is never closed")
    assert "front matter but no content" in error_of(write_bytes(tmp_path, b'+++\ntitle = "x"\n+++\n\n'))
    assert "'date'" in error_of(write_bytes(tmp_path, b'+++\ndate = "soon"\n+++\nbody\n'))


def test_unknown_format(tmp_path):
    assert "unknown format 'rtf'" in error_of(write_bytes(tmp_path, "正文。".encode()), "rtf")


ADVERSARIAL = [
    "[" * 200_000,
    "![a](" * 50_000,
    "[a](" * 50_000,
    "# " + "#" * 100_000 + " x",
    "## " + "a #" * 60_000,
    "1. " + "x" * 200_000 + " ↩︎" * 1000,
    "* " + "[" * 100_000 + "](",
    ("公司" * 50_000) + "。",
    "A" * 200_000,
    "Aa " * 70_000,
    "一、" * 70_000,
    "\n" * 100_000 + "x",
    " \n" * 100_000,
    "-\n" * 100_000,
    "大家好," + "5月30日,北京市政府办公厅" * 10_000,
    "<" * 100_000 + ">",
    ("9" * 12 + "。") * 20_000,
]


@pytest.mark.parametrize("text", ADVERSARIAL, ids=range(len(ADVERSARIAL)))
def test_pathological_inputs_are_fast(tmp_path, text):
    path = write_bytes(tmp_path, text.encode())
    for fmt in FORMATS:
        start = time.process_time()  # CPU time: a loaded machine does not make it fail
        try:
            read_episode(path, fmt)
        except ScriptError:
            pass
        assert time.process_time() - start < 6, fmt  # quadratic behaviour would take minutes


MARKUP = st.sampled_from(
    ["\n", "\n\n", "# ", "## ", "### ", "* ", "- ", "> ", "---", "+++", "1. ", "[链接](https://x.y/z)", "![i](a.jpg)",
     "。", "，", ",", ".", "!", "：", "“", "”", "(", ")", "[", "]", "↩︎", "一、", "5月30日,", "公司", "大家好,", "这期节目就到这里",
     "0 评论 1 浏览", "题图", "评论", "NVIDIA ", "Runway", "2", "171%2", "**", "\r\n", "\ufeff", " ", "\t", "英伟达", "委员会"]
)  # fmt: skip
DOCS = st.lists(st.one_of(MARKUP, st.text(max_size=20)), max_size=60).map("".join)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(DOCS)
def test_fuzz_any_text_gives_episode_or_script_error(text):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "fuzz.txt"
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        for fmt in FORMATS:
            try:
                episode = read_episode(path, fmt)
            except ScriptError as e:
                assert "\n" not in str(e)
                continue
            assert episode.items
            assert all(isinstance(it.speech_text, str) and isinstance(it.text, str) for it in episode.items)


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=400))
def test_fuzz_any_bytes_gives_episode_or_script_error(data):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "fuzz.bin"
        path.write_bytes(data)
        try:
            read_episode(path)
        except ScriptError as e:
            assert "\n" not in str(e)


def test_formats_are_listed():
    assert format_names() == sorted(format_names())


def test_org_scan_matches_the_reference_regex():
    """The fast suffix-first organisation scan finds exactly what the plain regex finds."""
    import random

    from studio.ingest import entities

    alphabet = list("委员会证监会办公厅人民政府集团公司大学研究院所实验室协会银行论坛法部内全外总局分门署的在与和对由北京市A1 ,。")
    alphabet += ["部门", "人民政府", "政府", "委员会"]
    rng = random.Random(7)
    for _ in range(20000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 40)))
        expected = [(m.start(), m.end()) for m in entities._ORG.finditer(text)]
        assert list(entities._org_spans(text)) == expected, text
