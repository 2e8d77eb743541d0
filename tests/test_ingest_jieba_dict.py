"""jieba's dictionary from Studio's per-user cache, loaded per character: the same words as plain jieba."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SEED = REPO / "tests" / "fixtures" / "seeds" / "000_deda1e7c2e026595.txt"

PLAIN = """
import json, logging, sys
import jieba
jieba.setLogLevel(logging.WARNING)
texts = json.load(sys.stdin)
print(json.dumps([[t for t in jieba.cut(x) if t.strip()] for x in texts], ensure_ascii=False))
"""
STUDIO = """
import json, sys
from studio.ingest.words import cut
texts = json.load(sys.stdin)
print(json.dumps([list(cut(x)) for x in texts], ensure_ascii=False))
"""


def _texts() -> list[str]:
    lines = [line for line in SEED.read_text(encoding="utf-8").split("\n") if line.strip()]
    return lines + ["英伟达市值首度突破1万亿美元", "AI服务初创公司Runway帮助用户利用AI基于文本生成视频", "上海市发展改革委员会"]


def _cuts(code: str, texts: list[str], cache: Path) -> list[list[str]]:
    env = {**os.environ, "XDG_CACHE_HOME": str(cache)}
    done = subprocess.run([sys.executable, "-c", code], input=json.dumps(texts), capture_output=True, text=True,
                          cwd=REPO, env=env, check=True, timeout=300)
    return json.loads(done.stdout)


def test_cached_dictionary_cuts_like_jieba(tmp_path):
    texts = _texts()
    expected = _cuts(PLAIN, texts, tmp_path / "unused")
    assert _cuts(STUDIO, texts, tmp_path) == expected  # builds the cache
    files = list((tmp_path / "studio").glob("jieba-*.dict"))
    assert len(files) == 1
    assert _cuts(STUDIO, texts, tmp_path) == expected  # reads it
    files[0].write_bytes(b"not a dictionary")
    assert _cuts(STUDIO, texts, tmp_path) == expected  # a broken cache is rebuilt
    assert files[0].stat().st_size > 1_000_000
