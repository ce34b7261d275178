"""Who may change the library from the page: nobody, unless the page runs with editing allowed.

Two ways to allow it: ``--allow-edit`` (or ``PANELSEARCH_ALLOW_EDIT=1``) for a page on one's own
laptop, where everyone who can open it may edit (``make run`` does this and says so); or
``PANELSEARCH_EDITORS_TOKEN``, for a page a team shares, where the upload and remove controls
appear only in a session that gave that token. The entry point reads the settings and passes
them in; this module only decides.
"""
from __future__ import annotations

import hmac
from dataclasses import dataclass


@dataclass(frozen=True)
class LibraryAccess:
    can_edit: bool  # the upload and remove controls are shown
    can_sign_in: bool  # an editors' token is set and this session has not given it yet
    note: str  # one line for the sidebar


def library_access(allow_edit: bool, editors_token: str | None, given: str | None) -> LibraryAccess:
    """What this session may do to the library.

    Args:
        allow_edit: the page runs with --allow-edit (everyone may edit).
        editors_token: the PANELSEARCH_EDITORS_TOKEN the page runs with, if any.
        given: the token this session typed, if any (compared in constant time).
    """
    if allow_edit:
        return LibraryAccess(True, False, "Library editing is on for everyone who opens this page (--allow-edit).")
    if editors_token:
        if given and hmac.compare_digest(given.encode(), editors_token.encode()):
            return LibraryAccess(True, False, "You are signed in as an editor of this library.")
        return LibraryAccess(False, True, "This library is read-only. Editors can sign in to add or remove documents.")
    return LibraryAccess(False, False, "This library is read-only here. To add or remove documents, run the page "
                                       "with --allow-edit or set PANELSEARCH_EDITORS_TOKEN.")
