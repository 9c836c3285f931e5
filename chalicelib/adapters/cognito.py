"""Agents' identities in a Cognito user pool: password login, user creation, ID token verification."""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ParamValidationError

from chalicelib.adapters.aws import client, error_code
from chalicelib.domain.errors import Conflict, InvalidInput, Unauthorized
from chalicelib.domain.model import Principal, PrincipalKind, Role
from chalicelib.ports import LoginResult

TENANT_CLAIM = "custom:tenant"
#: The roles are these groups of the pool; a user's other groups (if any) are not roles.
ROLE_GROUPS = ("agent", "supervisor", "admin")
#: Cognito's UserStatus -> the user directory's status (docs/data-model.md); any other status is "confirmed".
_DIRECTORY_STATUS = {"FORCE_CHANGE_PASSWORD": "invited", "RESET_REQUIRED": "reset"}


@dataclass(frozen=True)
class PoolAccount:
    """A user as the pool holds them, to write the directory item of a user made before the directory existed."""

    id: str
    tenant: str
    name: str
    email: str
    roles: tuple[str, ...]
    active: bool
    status: str


class CognitoIdentity:
    def __init__(self, user_pool_id: str, client_id: str) -> None:
        self._pool = user_pool_id
        self._client_id = client_id

    def login(self, username: str, password: str) -> LoginResult:
        idp = client("cognito-idp")
        try:
            answer = idp.initiate_auth(
                ClientId=self._client_id,
                AuthFlow="USER_PASSWORD_AUTH",
                AuthParameters={"USERNAME": username, "PASSWORD": password},
            )
        except Exception as exc:
            if error_code(exc) in {"NotAuthorizedException", "UserNotFoundException", "UserNotConfirmedException"}:
                raise Unauthorized("wrong username or password") from exc
            raise
        return _login_result(answer, username)

    def set_new_password(self, username: str, session: str, new_password: str) -> LoginResult:
        idp = client("cognito-idp")
        try:
            answer = idp.respond_to_auth_challenge(
                ClientId=self._client_id, ChallengeName="NEW_PASSWORD_REQUIRED", Session=session,
                ChallengeResponses={"USERNAME": username, "NEW_PASSWORD": new_password},
            )
        except ParamValidationError as exc:  # a username or session outside Cognito's bounds: not this login
            raise Unauthorized("this sign-in has expired: sign in again") from exc
        except Exception as exc:
            code = error_code(exc)
            if code == "InvalidPasswordException":
                raise InvalidInput("the password needs 12 characters or more, with upper and lower case letters "
                                   "and a digit", field="new_password") from exc
            if code:  # NotAuthorized, CodeMismatch, ExpiredCode, a session that is not Cognito's...: not this login
                raise Unauthorized("this sign-in has expired: sign in again") from exc
            raise
        return _login_result(answer, username)

    def invite(self, tenant: str, email: str, name: str, roles: Sequence[str], temporary_password: str) -> str:
        """A user named by their email who must set a password at their first login; Cognito sends nothing (the
        app mails the invitation itself)."""
        idp = client("cognito-idp")
        try:
            created = idp.admin_create_user(
                UserPoolId=self._pool,
                Username=email,
                TemporaryPassword=temporary_password,
                UserAttributes=[{"Name": "name", "Value": name}, {"Name": "email", "Value": email},
                                {"Name": "email_verified", "Value": "true"}, {"Name": TENANT_CLAIM, "Value": tenant}],
                MessageAction="SUPPRESS",
            )
        except Exception as exc:
            if error_code(exc) == "UsernameExistsException":
                raise Conflict("a user with this email exists", field="email") from exc
            raise
        self.set_roles(email, roles, ())
        attributes = {a["Name"]: a["Value"] for a in created["User"].get("Attributes", [])}
        return str(attributes.get("sub") or created["User"]["Username"])

    def set_roles(self, username: str, added: Sequence[str], removed: Sequence[str]) -> None:
        """Make the user a member of each group of `added` and of none of `removed`, from the groups Cognito lists
        for them now (not from what the caller believes): running it again repairs a change that failed halfway."""
        idp = client("cognito-idp")
        current = self._groups(idp, username)
        for role in added:
            if role not in current:
                idp.admin_add_user_to_group(UserPoolId=self._pool, Username=username, GroupName=role)
        for role in removed:
            if role in current:
                idp.admin_remove_user_from_group(UserPoolId=self._pool, Username=username, GroupName=role)

    def _groups(self, idp: Any, username: str) -> set[str]:
        """The names of the groups the user is in (AdminListGroupsForUser, every page)."""
        names: set[str] = set()
        token: dict[str, str] = {}
        while True:
            page = idp.admin_list_groups_for_user(UserPoolId=self._pool, Username=username, Limit=60, **token)
            names.update(str(group["GroupName"]) for group in page.get("Groups", []))
            if not page.get("NextToken"):
                return names
            token = {"NextToken": str(page["NextToken"])}

    def account(self, username: str) -> PoolAccount | None:
        """The pool's user named `username` (AdminGetUser and their groups), or None when there is none."""
        idp = client("cognito-idp")
        try:
            user = idp.admin_get_user(UserPoolId=self._pool, Username=username)
        except Exception as exc:
            if error_code(exc) == "UserNotFoundException":
                return None
            raise
        attributes = {a["Name"]: a["Value"] for a in user.get("UserAttributes", [])}
        groups = self._groups(idp, username)
        return PoolAccount(id=str(attributes.get("sub") or user["Username"]), tenant=attributes.get(TENANT_CLAIM, ""),
                           name=attributes.get("name", ""), email=attributes.get("email", ""),
                           roles=tuple(role for role in ROLE_GROUPS if role in groups),
                           active=bool(user.get("Enabled", True)),
                           status=_DIRECTORY_STATUS.get(str(user.get("UserStatus")), "confirmed"))

    def set_active(self, username: str, active: bool) -> None:
        """Enable or disable the user; disabling also revokes their refresh tokens (their ID token lives on until
        it expires: docs/admin.md)."""
        idp = client("cognito-idp")
        if active:
            idp.admin_enable_user(UserPoolId=self._pool, Username=username)
            return
        idp.admin_disable_user(UserPoolId=self._pool, Username=username)
        try:
            idp.admin_user_global_sign_out(UserPoolId=self._pool, Username=username)
        except Exception as exc:  # disabled already, which is what matters; the sign-out is a best effort
            if error_code(exc) not in {"NotAuthorizedException", "UserNotFoundException"}:
                raise

    def set_temporary_password(self, username: str, temporary_password: str) -> None:
        """The user must change this password at their next login (FORCE_CHANGE_PASSWORD)."""
        client("cognito-idp").admin_set_user_password(UserPoolId=self._pool, Username=username,
                                                      Password=temporary_password, Permanent=False)

    def create_user(self, tenant: str, username: str, password: str | None, name: str, roles: Sequence[str],
                    email: str = "") -> str:
        idp = client("cognito-idp")
        attributes = [{"Name": "name", "Value": name}, {"Name": TENANT_CLAIM, "Value": tenant}]
        if email:
            attributes += [{"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true"}]
        # Without a password, Cognito makes a temporary one and mails it to the user: nobody else ever sees it.
        delivery: dict[str, Any] = ({"MessageAction": "SUPPRESS"} if password is not None
                                    else {"DesiredDeliveryMediums": ["EMAIL"]})
        try:
            created = idp.admin_create_user(UserPoolId=self._pool, Username=username, UserAttributes=attributes,
                                            **delivery)
        except Exception as exc:
            if error_code(exc) == "UsernameExistsException":
                raise Conflict(f"user '{username}' exists", field="username") from exc
            raise
        if password is not None:
            idp.admin_set_user_password(UserPoolId=self._pool, Username=username, Password=password, Permanent=True)
        for role in roles:
            idp.admin_add_user_to_group(UserPoolId=self._pool, Username=username, GroupName=role)
        given = {a["Name"]: a["Value"] for a in created["User"].get("Attributes", [])}
        return str(given.get("sub") or created["User"]["Username"])


def _login_result(answer: dict[str, Any], username: str) -> LoginResult:
    result = answer.get("AuthenticationResult")
    if result:
        return LoginResult(id_token=result["IdToken"], expires_in=int(result.get("ExpiresIn", 3600)))
    if answer.get("ChallengeName") == "NEW_PASSWORD_REQUIRED":
        return LoginResult(id_token="", expires_in=0, challenge="new_password", session=str(answer.get("Session")),
                           username=username)
    raise Unauthorized(f"login needs a further step: {answer.get('ChallengeName', 'unknown')}")


class CognitoTokenVerifier:
    """Verifies ID tokens: RS256 signature against the pool's JWKS, issuer, audience (the app client) and expiry."""

    _JWKS_TTL_SECONDS = 3600
    _UNKNOWN_KID_REFETCH_SECONDS = 60

    def __init__(self, issuer: str, audience: str, jwks_url: str) -> None:
        self._issuer = issuer
        self._audience = audience
        self._jwks_url = jwks_url
        self._keys: dict[str, Any] = {}
        self._fetched_at = -1e9
        self._lock = threading.Lock()

    def verify(self, token: str) -> Principal:
        import jwt  # deferred: PyJWT pulls in cryptography, which only agent requests need

        try:
            header = jwt.get_unverified_header(token)
            key = self._key(str(header.get("kid", "")))
            claims = jwt.decode(
                token,
                key=key,
                algorithms=["RS256"],
                audience=self._audience,
                issuer=self._issuer,
                options={"require": ["exp", "iss", "aud", "sub"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise Unauthorized("the token has expired") from exc
        except jwt.PyJWTError as exc:
            raise Unauthorized(f"the token does not verify: {exc}") from exc
        if claims.get("token_use") != "id":
            raise Unauthorized("an ID token is required")
        tenant = claims.get(TENANT_CLAIM)
        if not isinstance(tenant, str) or not tenant:
            raise Unauthorized("the token carries no tenant")
        roles = frozenset(Role(g) for g in claims.get("cognito:groups", []) if g in Role._value2member_map_)
        return Principal(
            tenant=tenant,
            id=str(claims["sub"]),
            kind=PrincipalKind.AGENT,
            name=str(claims.get("name") or claims.get("cognito:username") or ""),
            roles=roles,
        )

    def _key(self, kid: str) -> Any:
        key = self._keys.get(kid)
        age = time.monotonic() - self._fetched_at
        # Refetch when the keys are old, or for an unknown kid (key rotation) at most once a minute.
        if age > self._JWKS_TTL_SECONDS or (key is None and age > self._UNKNOWN_KID_REFETCH_SECONDS):
            self._refresh()
            key = self._keys.get(kid)
        if key is None:
            raise Unauthorized("the token is signed by an unknown key")
        return key

    def _refresh(self) -> None:
        from jwt import PyJWK

        with self._lock:
            with urllib.request.urlopen(self._jwks_url, timeout=5) as answer:  # noqa: S310 - configured https URL
                document = json.load(answer)
            self._keys = {k["kid"]: PyJWK.from_dict(k).key for k in document.get("keys", []) if "kid" in k}
            self._fetched_at = time.monotonic()
