"""`studio items`: the segmentation as a table or JSON; bad input is one line, exit 1."""

from __future__ import annotations

import json

from studio.cli.items import items_command


def test_table_lists_every_item(seeds_dir, capsys):
    (path,) = seeds_dir.glob("004_*.txt")
    assert items_command(path, None, False) == 0
    out = capsys.readouterr().out.splitlines()
    assert "29 items (newsletter)" in out[0]
    assert out[1].split() == ["n", "section", "title", "chars", "links"]
    assert len(out) == 2 + 29
    first = out[2]
    assert first.split()[0] == "1" and "热点新闻" in first and "MM1" in first
    assert out[-1].split()[0] == "29" and "趣事" in out[-1] and out[-1].split()[-1] == "1"


def test_json_has_the_documented_shape(seeds_dir, capsys):
    (path,) = seeds_dir.glob("003_*.txt")
    assert items_command(path, None, True) == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data) == {"title", "summary", "format", "items"}
    assert data["format"] == "hugo" and len(data["items"]) == 13
    item = data["items"][0]
    assert set(item) == {"section", "title", "text", "speech_text", "links", "image"}
    assert item["image"] == "ai20240526-13.jpg"
    assert item["links"] == [{"url": "https://www.163.com/dy/article/J2VO20AB051180F7.html", "label": "报道详情"}]


def test_format_override(seeds_dir, capsys):
    (path,) = seeds_dir.glob("000_*.txt")
    assert items_command(path, "text", True) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["format"] == "text" and len(data["items"]) == 1


def test_bad_input_is_one_line_and_exit_1(tmp_path, capsys):
    empty = tmp_path / "empty.txt"
    empty.write_text("   \n", encoding="utf-8")
    assert items_command(empty, None, False) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == f"{empty}: the script is empty\n"
    assert items_command(tmp_path / "missing.txt", None, False) == 1
    assert capsys.readouterr().err.strip().endswith("missing.txt: file not found")
    (tmp_path / "ok.txt").write_text("一段话。", encoding="utf-8")
    assert items_command(tmp_path / "ok.txt", "nope", False) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "unknown format 'nope'" in err and "transcript" in err
