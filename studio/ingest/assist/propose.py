"""Ask the assist model for boundaries and titles, check the answer, cache it by content.

The model gets the numbered sentences and must answer JSON
{"items": [{"sentences": [0, 1], "title": "..."}, ...]}: every sentence exactly
once, in order, and every title within the headline limits (24 CJK / 70 Latin
characters), no two alike. Anything else -- an HTTP error, a timeout, a refusal,
prose, a missing or repeated sentence, a long title -- raises AssistError and
the caller falls back to the built-in segmenter. So does an answer that is
not text (a lone surrogate in a title) or JSON nested too deeply to read.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from studio.core.config import AssistConfig
from studio.core.fsutil import atomic_write_text
from studio.core.secrets import secret
from studio.ingest.assist.exchange import ExchangeError, post
from studio.ingest.titles import fits

PROMPT_VERSION = "1"
MAX_SENTENCES = 2000  # a longer transcript is not sent (the answer would not fit a context window)
MAX_ANSWER = 2_000_000  # bytes read from the server
SYSTEM = (
    "You segment a news roundup transcript into stories. You get numbered sentences. Group consecutive "
    "sentences into items: the host's greeting is the first item, each news story one item, the sign-off "
    "the last item. Give every item a short headline in the transcript's language and its own words: "
    "subject and what happened, at most 24 Chinese characters or 70 Latin characters, all different. "
    'Answer only JSON: {"items": [{"sentences": [0, 1], "title": "..."}]}, every sentence exactly once, in order.'
)


class AssistError(Exception):
    """The assist model gave no usable answer."""


@dataclass
class Proposal:
    groups: list[list[int]]
    titles: list[str]


def answer_key(config: AssistConfig, sentences: list[str]) -> str:
    h = hashlib.sha256()
    for part in (PROMPT_VERSION, config.base_url.rstrip("/"), config.model, *sentences):
        h.update(part.encode("utf-8") + b"\0")
    return h.hexdigest()


def propose(config: AssistConfig, sentences: list[str], cache_dir: Path) -> Proposal:
    """A checked proposal, from the cache when this text was asked before."""
    if len(sentences) > MAX_SENTENCES:
        raise AssistError(f"{len(sentences)} sentences is more than the {MAX_SENTENCES} the assist is sent")
    path = Path(cache_dir) / f"{answer_key(config, sentences)}.json"
    if path.is_file():
        try:
            return validate(json.loads(path.read_text(encoding="utf-8")), len(sentences))
        except (AssistError, ValueError, OSError, RecursionError):
            pass  # a stale or damaged entry: ask again
    answer = parse_answer(ask(config, sentences))
    proposal = validate(answer, len(sentences))
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, json.dumps(answer, ensure_ascii=False))
    return proposal


def ask(config: AssistConfig, sentences: list[str]) -> dict:
    """POST the chat completion request; the decoded JSON response."""
    user = "\n".join(f"[{i}] {s}" for i, s in enumerate(sentences))
    body = {"model": config.model, "temperature": 0, "response_format": {"type": "json_object"},
            "messages": [{"role": "system", "content": SYSTEM}, {"role": "user", "content": user}]}
    headers = {"Content-Type": "application/json"}
    key = ""
    if config.api_key_env:
        key = secret(config.api_key_env)
        if not key:
            raise AssistError(f"environment variable {config.api_key_env} (assist.api_key_env) is not set")
        headers["Authorization"] = f"Bearer {key}"
    url = config.base_url.rstrip("/") + "/chat/completions"
    try:
        raw = post(url, json.dumps(body).encode("utf-8"), headers, config.timeout, MAX_ANSWER, secret=key)
    except ExchangeError as e:
        raise AssistError(str(e)) from None
    return _json(raw, "the server's response")


def _json(text: str | bytes, what: str):
    try:
        return json.loads(text)
    except ValueError:
        raise AssistError(f"{what} is not JSON") from None
    except RecursionError:
        raise AssistError(f"{what} is JSON nested too deeply") from None


def parse_answer(response: dict) -> dict:
    """The model's JSON answer out of a chat completion response."""
    try:
        message = response["choices"][0]["message"]
    except (KeyError, IndexError, TypeError):
        raise AssistError("the response has no choices[0].message") from None
    if not isinstance(message, dict):
        raise AssistError("the response has no choices[0].message")
    if message.get("refusal"):
        raise AssistError(f"the model refused: {_printable(str(message['refusal'])[:80])}")
    content = message.get("content")
    if not isinstance(content, str):
        raise AssistError("the answer has no text content")
    text = content.strip()
    if text.startswith("```"):
        text = text.strip("`").removeprefix("json").strip()
    try:
        answer = json.loads(text)
    except ValueError:
        raise AssistError(f"the answer is not JSON: {text[:60]!r}") from None
    except RecursionError:
        raise AssistError("the answer is JSON nested too deeply") from None
    if not isinstance(answer, dict):
        raise AssistError("the answer is not a JSON object")
    return answer


def validate(answer: dict, n: int) -> Proposal:
    """Every sentence exactly once and in order; titles within the limits and distinct."""
    items = answer.get("items")
    if not isinstance(items, list) or not items:
        raise AssistError('the answer has no "items" list')
    groups, titles, expected = [], [], 0
    for k, item in enumerate(items):
        if not isinstance(item, dict):
            raise AssistError(f"item {k} is not an object")
        sentences, title = item.get("sentences"), item.get("title")
        if not isinstance(sentences, list) or not sentences or not all(type(i) is int for i in sentences):
            raise AssistError(f"item {k} has no sentence numbers")
        if sentences != list(range(expected, expected + len(sentences))):
            raise AssistError(f"item {k} does not continue at sentence {expected} in order")
        expected += len(sentences)
        if not isinstance(title, str) or not title.strip() or "\n" in title or not fits(title.strip()):
            raise AssistError(f"item {k} has no title within the limits")
        if not _is_text(title):
            raise AssistError(f"item {k}'s title is not valid Unicode text (a lone surrogate)")
        groups.append(sentences)
        titles.append(title.strip())
    if expected != n:
        raise AssistError(f"the answer covers {expected} of {n} sentences")
    if len(set(titles)) != len(titles):
        raise AssistError("two items have the same title")
    return Proposal(groups, titles)


def _is_text(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _printable(value: str) -> str:
    return " ".join(value.encode("utf-8", "replace").decode("utf-8").split())
