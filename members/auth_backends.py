"""The one authentication backend: allauth's (username or e-mail), checking each account's
password at most once per attempt.

allauth's backend tries the typed login as an e-mail address, then as a username, then the
e-mail credential again, and would verify the same account's password twice when the login
is an address; Django's ModelBackend beside it verified it once more. Argon2 is the slow part
of a log-in on purpose, so a failed attempt should cost it once: an existing account verifies
one hash, an unknown one hashes the password once (allauth's timing mitigation), so the two
take the same time and existence does not leak."""

from allauth.account.auth_backends import AuthenticationBackend


class MemberAuthenticationBackend(AuthenticationBackend):
    def authenticate(self, request, **credentials):
        # Django makes a new backend instance per authenticate() call: per-attempt state.
        self._checked = {}
        return super().authenticate(request, **credentials)

    def _check_password(self, user, password):
        if user is None:
            return None
        if user.pk in self._checked:
            return self._checked[user.pk]
        result = super()._check_password(user, password)
        self._checked[user.pk] = result
        return result
