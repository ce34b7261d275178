"""Who may change the library (issue #11): nobody by default, everyone with --allow-edit, and with
an editors' token only the sessions that gave it."""
from panelsearch.access import library_access


def test_read_only_by_default():
    access = library_access(False, None, None)
    assert not access.can_edit and not access.can_sign_in and "read-only" in access.note


def test_allow_edit_opens_editing_to_everyone():
    assert library_access(True, None, None).can_edit
    assert library_access(True, "secret", "wrong").can_edit


def test_a_token_admits_only_who_gives_it():
    assert library_access(False, "s3cret-token", None).can_sign_in
    assert not library_access(False, "s3cret-token", "s3cret").can_edit
    assert not library_access(False, "s3cret-token", "").can_edit
    signed = library_access(False, "s3cret-token", "s3cret-token")
    assert signed.can_edit and not signed.can_sign_in
