"""What the sign-in and account forms accept, with the messages a person sees."""

import re

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates

_EMAIL = {
    "required": "Enter your email address",
    "invalid": "Enter an email address in the correct format, like name@example.org",
}


class EmailSchema(Schema):
    email = fields.Email(required=True, validate=validate.Length(max=254), error_messages=_EMAIL)


class PasswordSignInSchema(EmailSchema):
    password = fields.String(
        required=True,
        validate=validate.Length(min=1, max=200, error="Enter your password"),
        error_messages={"required": "Enter your password"},
    )


class CodeSchema(Schema):
    code = fields.String(
        required=True,
        validate=validate.Length(min=6, max=40, error="Enter the code"),
        error_messages={"required": "Enter the 6-digit code from your authenticator app"},
    )


class NewPasswordSchema(Schema):
    password = fields.String(required=True, error_messages={"required": "Enter a new password"})
    confirm = fields.String(
        required=True, error_messages={"required": "Enter the new password again"}
    )

    @post_load
    def _same(self, data, **_):
        if data["password"] != data["confirm"]:
            raise ValidationError({"confirm": ["Passwords do not match"]})
        return data


class ChangePasswordSchema(NewPasswordSchema):
    current = fields.String(
        required=True, error_messages={"required": "Enter your current password"}
    )


_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_CLAIM = re.compile(r"^[A-Za-z_][A-Za-z0-9_.:/-]{0,59}$")


class IdentityProviderSchema(Schema):
    """A system administrator's form for an agency's OpenID Connect provider."""

    agency_id = fields.Integer(
        required=True,
        error_messages={"required": "Choose the agency", "invalid": "Choose the agency"},
    )
    name = fields.String(
        required=True,
        validate=validate.Length(min=3, max=200, error="Enter a name of 3 to 200 characters"),
        error_messages={"required": "Enter a name people will recognise"},
    )
    slug = fields.String(
        required=True,
        validate=[
            validate.Length(min=2, max=60, error="Enter a short name of 2 to 60 characters"),
            validate.Regexp(_SLUG, error="Use lower-case letters, numbers and hyphens only"),
        ],
        error_messages={"required": "Enter a short name for the redirect address"},
    )
    issuer = fields.Url(
        required=True,
        schemes={"https", "http"},
        require_tld=False,
        validate=validate.Length(max=300),
        error_messages={
            "required": "Enter the issuer",
            "invalid": "Enter the issuer as a web address, like "
            "https://login.microsoftonline.com/<tenant id>/v2.0",
        },
    )
    client_id = fields.String(
        required=True,
        validate=validate.Length(min=1, max=300, error="Enter the client ID"),
        error_messages={"required": "Enter the client ID"},
    )
    client_secret = fields.String(validate=validate.Length(max=500))
    domains = fields.String(
        required=True,
        error_messages={"required": "Enter at least one email domain, like cumbria.police.uk"},
    )
    email_claim = fields.String(
        load_default="email", validate=validate.Regexp(_CLAIM, error="Enter a claim name")
    )
    name_claim = fields.String(
        load_default="name", validate=validate.Regexp(_CLAIM, error="Enter a claim name")
    )
    scopes = fields.String(load_default="openid email profile", validate=validate.Length(max=300))
    enabled = fields.Boolean(load_default=False)

    @validates("issuer")
    def _secure(self, value, **_):
        host = re.sub(r"^https?://", "", value).split("/")[0].split(":")[0]
        if value.startswith("http://") and host not in {"localhost", "127.0.0.1"}:
            raise ValidationError("The issuer must use https://")

    @validates("scopes")
    def _openid(self, value, **_):
        if "openid" not in value.split():
            raise ValidationError("The scopes must include openid")

    @validates("domains")
    def _domains(self, value, **_):
        domains = _split_domains(value)
        bad = [d for d in domains if not _DOMAIN.match(d)]
        if not domains:
            raise ValidationError("Enter at least one email domain, like cumbria.police.uk")
        if bad:
            raise ValidationError(f"Enter domains like cumbria.police.uk, not {', '.join(bad)}")

    @post_load
    def _tidy(self, data, **_):
        data["domains"] = _split_domains(data["domains"])
        data["scopes"] = " ".join(data["scopes"].split())
        if not data.get("client_secret"):
            data.pop("client_secret", None)
        return data


def _split_domains(value: str) -> list[str]:
    return sorted({d.strip().lower() for d in re.split(r"[\s,;]+", value) if d.strip()})
