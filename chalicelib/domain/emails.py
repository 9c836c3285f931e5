"""What counts as an email address: one that SES can send to. Syntax only (no DNS), with email-validator.

Refused: several addresses (``a,b@example.org``), stray brackets or quotes (``x@example.org>``, ``[a]@example.org``),
a domain without a dot, and non-ASCII local parts (SES does not send SMTPUTF8). An internationalised domain is
kept in its ASCII (punycode) form, as the email's headers need it; an ASCII address is kept as given.
"""

from __future__ import annotations

from chalicelib.domain.errors import InvalidInput

MAX_EMAIL_CHARS = 254  # the longest address SMTP carries (RFC 5321 path limit)


def mailable(value: str) -> str:
    """`value` as the address to store and mail, or ValueError saying why not."""
    from email_validator import EmailNotValidError, validate_email  # 40 ms: only where an email is given

    if len(value) > MAX_EMAIL_CHARS:
        raise ValueError(f"an email address holds at most {MAX_EMAIL_CHARS} characters")
    try:
        found = validate_email(value, check_deliverability=False, allow_smtputf8=False, allow_quoted_local=False,
                               allow_domain_literal=False, allow_display_name=False)
    except EmailNotValidError as exc:
        raise ValueError(f"not an email address SES can send to: {exc}") from exc
    # As given when it is ASCII (a contact's record shows what the agent typed), else its ASCII form.
    return value if value.isascii() else str(found.ascii_email or found.normalized)


def valid_email(field: str, value: object) -> str:
    """An optional email field: "" when absent or blank, the address to store, or InvalidInput naming `field`."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidInput(f"'{field}' must be an email address", field=field)
    address = value.strip()
    if not address:
        return ""
    try:
        return mailable(address)
    except ValueError as exc:
        raise InvalidInput(f"'{field}' is {exc}", field=field) from exc
