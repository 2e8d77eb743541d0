"""What the host does to the list by hand (`studio subscribers add`), with the same consent rules as the form."""

from __future__ import annotations

from studio.core.errors import StudioError
from studio.present.content import one_line
from studio.subscribers.listfile import normalize_address
from studio.subscribers.store import Store

OWNER_ONLY = ("unsubscribed", "bounced", "complained")  # only their owner can subscribe again


def address_or_error(text: str) -> str:
    """The normalised address, or StudioError naming what was given."""
    address = normalize_address(text)
    if address is None:
        raise StudioError(f"not an email address: {text!r}")
    return address.lower()


def add_by_host(store: Store, email: str, name: str = "") -> str | None:
    """Add `email` as active on the host's word (recorded as 'add'); its status before (None: it was new).

    A suppressed or erased address is refused: only its owner can subscribe again, through the form."""
    before = store.status(email)
    if before is None and store.is_erased(email):
        raise StudioError(f"{email} asked to be erased: only they can subscribe again (through the form)")
    if before == "held":
        raise StudioError(f"{email} is held after a complaint without our token: review it with "
                          f"`studio subscribers complaints`, undo it with `studio subscribers restore {email}`")
    if before in OWNER_ONLY:
        raise StudioError(f"{email} is {before}: only they can subscribe again (through the form)")
    if before is None:
        store.import_rows([(email, one_line(name))], "add", method="add")
    return before


def restore_held(store: Store, email: str) -> str:
    """Undo an unverified complaint: `email` goes from held back to the status it had; that status."""
    back = store.restore(email)
    if back is None:
        status = store.status(email)
        raise StudioError(f"{email} is {status or 'not in the store'}, not held: nothing to restore"
                          + (" (a complaint carrying our token is never undone)" if status == "complained" else ""))
    return back
