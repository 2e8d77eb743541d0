"""The double opt-in confirmation mail, sent through the show's transport ([smtp] server or Amazon SES)."""

from __future__ import annotations

import datetime as dt
import html
from email.utils import make_msgid

from studio.core.config import Show
from studio.core.errors import StudioError
from studio.core.secrets import smtp_password
from studio.email.message import build_message, sender, to_address
from studio.mail.single import send_one

CONFIRM_MAIL_TEXTS = {
    "zh": ("请确认订阅《{show}》",
           "你好！\n\n有人（希望是你）用这个地址订阅了《{show}》。点击下面的链接确认订阅（{hours} 小时内有效）：\n\n{link}\n\n"
           "如果不是你，请忽略这封邮件，你不会收到任何其他邮件。\n"),
    "en": ("Confirm your subscription to {show}",
           "Hello!\n\nSomeone (hopefully you) subscribed this address to {show}. Confirm it with this link "
           "(valid for {hours} hours):\n\n{link}\n\nIf it was not you, ignore this email: you will get nothing else.\n"),
}


class ConfirmMailer:
    def __init__(self, show: Show):
        self.show = show

    def message(self, email: str, link: str) -> bytes:
        show = self.show
        subject, body = CONFIRM_MAIL_TEXTS["zh" if show.language.lower().startswith("zh") else "en"]
        hours = f"{show.subscribers.confirm_hours:g}"
        text = body.format(show=show.title, link=link, hours=hours)
        paragraphs = "".join(
            f'<p><a href="{html.escape(link)}">{html.escape(link)}</a></p>' if p == link else f"<p>{html.escape(p)}</p>"
            for p in text.strip().split("\n\n"))
        msg = build_message(
            show, subject=subject.format(show=show.title), text=text,
            html=f'<!DOCTYPE html><html><body style="font-family:sans-serif;line-height:1.6">{paragraphs}</body></html>',
            to=to_address(email), msg_id=make_msgid("confirm", sender(show).domain),
            date=dt.datetime.now(dt.timezone.utc), unsubscribe_https=None, unsubscribe_mailto=None)
        return msg.as_bytes()

    def send_confirmation(self, email: str, link: str) -> None:
        show = self.show
        outcome = send_one(show, smtp_password(show), sender(show).addr_spec, email,
                           self.message(email, link))
        if not outcome.accepted:
            raise StudioError(f"the server refused the confirmation mail to {email}: {outcome.reason}")
