"""The email pieces on their own: tokens, the subscriber list, the send log, settings."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from studio.core import tokens
from studio.core.config import load_show
from studio.core.errors import ConfigError
from studio.send.log import SendLog
from studio.send.run import SendError, parse_rate
from studio.subscribers.listfile import SubscriberError, normalize_address, read_subscribers
from tests.conftest import REPO


@settings(max_examples=30, deadline=None)
@given(addr=st.emails())
def test_token_round_trip_and_forgery(addr):
    token = tokens.sign(addr, "secret")
    assert tokens.verify(token, "secret") == addr.lower()
    assert tokens.verify(token, "other secret") is None
    body, mac = token.split(".")
    forged = tokens.sign("victim@example.com", "guess").split(".")[0] + "." + mac
    assert tokens.verify(forged, "secret") is None
    link = tokens.unsubscribe_link("https://x.example/u?list=1", token)
    assert link == f"https://x.example/u?list=1&t={token}"


def test_malformed_tokens_do_not_verify():
    for bad in ("", ".", "abc", "a.b.c", "!!!.???", "YQ.", ".YQ"):
        assert tokens.verify(bad, "secret") is None


def _csv(tmp_path: Path, text: str, encoding: str = "utf-8") -> Path:
    p = tmp_path / "subs.csv"
    p.write_bytes(text.encode(encoding))
    return p


def test_subscriber_list(tmp_path):
    subs, dups = read_subscribers(_csv(
        tmp_path, "\ufeffName,Email\n张三,zhang@example.com\n,Zhang@Example.com\n\nli@例子.中国\n"
        .replace("li@例子.中国", ",li@例子.中国")))
    assert [s.email for s in subs] == ["zhang@example.com", "li@xn--fsqu00a.xn--fiqs8s"]
    assert subs[0].name == "张三" and dups == 1


@pytest.mark.parametrize("text, line, words", [
    ("email\na@example.com\nfoo@\n", 3, "not an email address: 'foo@'"),
    ("email\n\"a@b.com\r\nBcc: x@y.com\"\n", 2, "not an email address"),
    ("email,name\nok@example.com,x\n<a@example.com>,y\n", 3, "not an email address"),
    ("name\nBob\n", 1, "no 'email' column"),
    ("", 1, "no 'email' column"),
])
def test_bad_subscriber_rows_are_named_by_line(tmp_path, text, line, words):
    with pytest.raises(SubscriberError) as e:
        read_subscribers(_csv(tmp_path, text))
    assert f"subs.csv:{line}: " in str(e.value) and words in str(e.value)
    assert "\n" not in str(e.value)


def test_subscriber_list_not_utf8(tmp_path):
    with pytest.raises(SubscriberError, match="not UTF-8"):
        read_subscribers(_csv(tmp_path, "email\n张@example.com\n", "gb18030"))


def test_addresses():
    assert normalize_address(" a.b+c@example.co.uk ") == "a.b+c@example.co.uk"
    for bad in ("a@b", "a@@b.com", "a b@c.com", "a@-b.com", "a@b..com", ".a@b.com", "a@b.com\r\nX: y",
                "a@1.2.3.4", "x" * 65 + "@b.com", "a@b.c_m"):
        assert normalize_address(bad) is None, bad


def test_send_log_states(tmp_path):
    log = SendLog(tmp_path / "log.sqlite")
    log.claim("ep", "a@x.com", "<1@x>")
    log.accepted("ep", "a@x.com")
    log.claim("ep", "b@x.com", "<2@x>")
    log.refused("ep", "b@x.com", 550, "550 no such user")
    log.claim("ep", "c@x.com", "<3@x>")
    log.close()
    log = SendLog(tmp_path / "log.sqlite")  # survives reopening, as after a kill
    assert log.statuses("ep") == {"a@x.com": "accepted", "b@x.com": "refused", "c@x.com": "sending"}
    assert log.statuses("other") == {}
    log.claim("ep", "c@x.com", "<3@x>")
    row = log.row("ep", "c@x.com")
    assert row["attempts"] == 2 and row["message_id"] == "<3@x>"
    assert log.row("ep", "b@x.com")["reason"] == "550 no such user"


def test_rate():
    assert parse_rate("10") == 10 and parse_rate("10/s") == 10
    assert parse_rate("120/m") == 2 and parse_rate("3600/h") == 1
    for bad in ("0", "-1", "fast", "10/d", ""):
        with pytest.raises(SendError):
            parse_rate(bad)


def _show_with(tmp_path: Path, extra: str):
    text = (REPO / "show.toml").read_text("utf-8") + extra
    (tmp_path / "show.toml").write_text(text, "utf-8")
    return tmp_path / "show.toml"


def test_defaults_need_no_new_settings():
    show = load_show(REPO / "show.toml")
    assert show.smtp.host == "" and show.email.send_log == ".studio-sendlog.sqlite"


@pytest.mark.parametrize("extra, words", [
    ('\n[smtp]\nsecurity = "tls"\n', "'smtp.security'"),
    ('\n[smtp]\nport = 70000\n', "'smtp.port'"),
    ('\n[smtp]\npasword_env = "X"\n', "did you mean 'smtp.password_env'"),
    ('\n[email]\nunsubscribe_url = "http://x.example/u"\n', "'email.unsubscribe_url': must be an https://"),
    ('\n[email]\nfrom_address = "nobody"\n', "'email.from_address'"),
    ('\n[email]\nsubject = "{titel}"\n', "'email.subject'"),
])
def test_bad_email_settings_are_one_line(tmp_path, extra, words):
    with pytest.raises(ConfigError) as e:
        load_show(_show_with(tmp_path, extra))
    assert words in str(e.value) and "show.toml" in str(e.value)
