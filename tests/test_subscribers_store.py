"""The subscriber store through the real CLI: import, add, remove (--erase), list, export, stats;
concurrent writers; signed tokens with purpose and expiry."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from studio.core import tokens
from tests.conftest import bare_env, make_show, run_studio


@pytest.fixture
def show(tmp_path: Path) -> Path:
    return make_show(tmp_path)


def studio(root: Path, *args: str):
    return run_studio(list(args), cwd=root, env=bare_env())


def rows(root: Path, *args: str) -> dict[str, dict]:
    proc = studio(root, "subscribers", "list", "--json", *args)
    assert proc.returncode == 0, proc.stderr
    return {r["email"]: r for r in map(json.loads, proc.stdout.splitlines())}


def test_import_add_remove_list_export_stats(show):
    (show / "a.csv").write_text("email,name\nAnn@Example.COM,Ann\nbo@example.com,\"=HYPERLINK(1)\"\n"
                                "ann@example.com,dup\n", "utf-8")
    proc = studio(show, "subscribers", "import", "a.csv", "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == {"added": 2, "existing": 0, "suppressed": 0, "erased": 0, "duplicates": 1}
    found = rows(show)
    assert set(found) == {"ann@example.com", "bo@example.com"}  # normalised: lower case
    ann = found["ann@example.com"]
    assert ann["status"] == "active" and ann["source"] == "import:a.csv" and ann["consent_method"] == "import"
    assert ann["consent_at"] and ann["consent_detail"] == "import:a.csv"
    assert (show / ".studio-subscribers.sqlite").is_file()  # at the show root, outside public/

    assert studio(show, "subscribers", "add", "cy@example.com", "--name", "Cy").returncode == 0
    assert rows(show)["cy@example.com"]["consent_method"] == "add"
    assert "removed" not in studio(show, "subscribers", "remove", "bo@example.com").stderr
    assert rows(show, "--status", "unsubscribed").keys() == {"bo@example.com"}
    # suppressed stays suppressed: neither import nor add brings them back
    again = json.loads(studio(show, "subscribers", "import", "a.csv", "--json").stdout)
    assert again["suppressed"] == 1 and again["existing"] == 1 and again["added"] == 0
    refused = studio(show, "subscribers", "add", "bo@example.com")
    assert refused.returncode == 1 and "unsubscribed" in refused.stderr and "Traceback" not in refused.stderr

    export = studio(show, "subscribers", "export")
    table = list(csv.DictReader(io.StringIO(export.stdout)))
    assert [r["email"] for r in table] == ["ann@example.com", "bo@example.com", "cy@example.com"]
    assert table[1]["name"] == "'=HYPERLINK(1)"  # no formula reaches a spreadsheet
    one = list(csv.DictReader(io.StringIO(studio(show, "subscribers", "export", "--email", "ANN@example.com").stdout)))
    assert len(one) == 1 and "import" in one[0]["history"]
    assert studio(show, "subscribers", "export", "--out", "out.csv").returncode == 0
    assert (show / "out.csv").read_text("utf-8") == export.stdout

    # GDPR erasure: gone from the store and its history, and no import adds it again
    assert studio(show, "subscribers", "remove", "ann@example.com", "--erase").returncode == 0
    assert "ann@example.com" not in rows(show)
    assert "ann@example.com" not in studio(show, "subscribers", "export").stdout
    assert json.loads(studio(show, "subscribers", "import", "a.csv", "--json").stdout)["erased"] == 1
    assert "ann@example.com" not in rows(show)
    stats = json.loads(studio(show, "subscribers", "stats", "--json").stdout)
    assert stats == {"pending": 0, "active": 1, "unsubscribed": 1, "bounced": 0, "complained": 0, "held": 0,
                     "erased": 1}


def test_bad_input_is_one_line_and_adds_nothing(show):
    (show / "bad.csv").write_text("email\nok@example.com\nnot-an-address\n", "utf-8")
    for args, problem in [(("import", "bad.csv"), "bad.csv:3"), (("import", "nope.csv"), "file not found"),
                          (("add", "not an address"), "not an email address"),
                          (("list", "--status", "gone"), "Invalid value")]:
        proc = studio(show, "subscribers", *args)
        assert proc.returncode != 0 and problem in proc.stderr and "Traceback" not in proc.stderr, args
    assert rows(show) == {}
    with open(show / "show.toml", "a", encoding="utf-8") as f:
        f.write('\n[subscribers]\ndb = "public/subscribers.sqlite"\n')
    proc = studio(show, "subscribers", "stats")
    assert proc.returncode == 1 and "outside output_dir" in proc.stderr


def test_concurrent_writers_lose_nothing(show):
    n, per = 4, 500
    for k in range(n):
        (show / f"part{k}.csv").write_text("email\n" + "".join(f"u{k}-{i}@example.com\n" for i in range(per)), "utf-8")
    procs = [subprocess.Popen([sys.executable, "-m", "studio", "subscribers", "import", f"part{k}.csv"],
                              cwd=show, env=bare_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for k in range(n)]
    removers = [subprocess.Popen([sys.executable, "-m", "studio", "subscribers", "remove", f"gone{i}@example.com"],
                                 cwd=show, env=bare_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                for i in range(3)]
    for p in procs + removers:
        _, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
    stats = json.loads(studio(show, "subscribers", "stats", "--json").stdout)
    assert stats["active"] == n * per and stats["unsubscribed"] == 3


def test_tokens_have_a_purpose_and_confirmation_tokens_expire():
    secret = "s3cret"
    unsub = tokens.sign("A@Example.com", secret)
    assert tokens.verify(unsub, secret) == "a@example.com"
    assert tokens.verify(unsub, secret, tokens.CONFIRM) is None  # an unsubscribe link never confirms
    soon = tokens.sign("a@example.com", secret, tokens.CONFIRM, time.time() + 60)
    assert tokens.verify(soon, secret, tokens.CONFIRM) == "a@example.com"
    assert tokens.verify(soon, secret) is None
    assert tokens.verify(soon, secret, tokens.CONFIRM, now=time.time() + 61) is None  # expired
    addr, exp, mac = soon.split(".")
    later = tokens._base36(int(time.time()) + 10**6)
    assert tokens.verify(f"{addr}.{later}.{mac}", secret, tokens.CONFIRM) is None  # the expiry is signed
    for bad in ("", ".", "a.b.c.d", "x" * 600, "é.é", unsub + "x", None):
        assert tokens.verify(bad, secret) is None


def test_unconfirmed_requests_are_forgotten(tmp_path):
    from studio.subscribers.store import Store

    with Store(tmp_path / "s.sqlite") as store:
        assert store.request("a@example.com", "", "127.0.0.1", 600, 3600)
        assert not store.request("a@example.com", "", "127.0.0.1", 600, 3600)  # one mail per 10 minutes
        time.sleep(2.1)
        assert store.request("b@example.com", "", "127.0.0.1", 600, 1)
        assert store.status("a@example.com") is None and store.status("b@example.com") == "pending"
