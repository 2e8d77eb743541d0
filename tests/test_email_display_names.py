"""Display names in To and From are encoded, never passed through (issue 24, finding 18): `studio send` to a
real SMTP server (aiosmtpd on 127.0.0.1), each received message parsed as a mail client does."""

from __future__ import annotations

import email
import email.utils
from email import policy

import pytest

from tests.test_email_send import Recorder, built, send, show_file, smtp_server  # noqa: F401 (fixtures)

NAMES = [
    "=?utf-8?q?evil=40attacker=2Eexample?=",                      # an encoded word naming another address
    "=?utf-8?q?x?= <evil@attacker.example>, =?utf-8?q?y?=",       # several, with a bracketed address
    "=?UTF-8?B?ZXZpbEBhdHRhY2tlci5leGFtcGxl?=",                   # base64
    "张三 =?utf-8?q?evil=40attacker=2Eexample?=",                  # mixed with CJK
    'Lee, "Ann" <ann@attacker.example>',                          # specials
    "Plain Reader",
]


@pytest.mark.parametrize("policy_name", ["default", "compat32"])
def test_a_name_that_looks_like_an_encoded_word_stays_a_name(built, smtp_server, policy_name):
    handler = Recorder()
    show = show_file(built, f"names-{policy_name}", smtp_server(handler))
    rows = ["email,name"] + [f'reader{i}@example.com,"{n.replace(chr(34), chr(34) * 2)}"' for i, n in enumerate(NAMES)]
    (built / f"names-{policy_name}.csv").write_text("\n".join(rows) + "\n", "utf-8")
    proc = send(built, show, "--list", f"names-{policy_name}.csv")
    assert proc.returncode == 0, proc.stderr
    for i, name in enumerate(NAMES):
        to = f"reader{i}@example.com"
        (raw,) = [data for rcpts, data in handler.messages if to in rcpts]
        if policy_name == "default":
            msg = email.message_from_bytes(raw, policy=policy.default)
            (address,) = msg["To"].addresses
            assert address.addr_spec == to, (name, str(msg["To"]))
            assert "".join(address.display_name.split()) == "".join(name.split())  # the name, as a name
            assert msg["From"].addresses[0].addr_spec == "news@studio.example.org"
        else:  # the old parser and getaddresses, as many tools still use them
            msg = email.message_from_bytes(raw, policy=policy.compat32)
            assert [a for _, a in email.utils.getaddresses([str(msg["To"])])] == [to], (name, msg["To"])
