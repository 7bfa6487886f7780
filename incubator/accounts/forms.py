from __future__ import annotations

from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    PasswordField,
    SelectChoice,
    SelectField,
    StringField,
)
from wtforms.validators import EqualTo, Length, Optional, ValidationError

from incubator.accounts.models import Role
from incubator.forms import REQUIRED, REQUIRED_TEXT, Form, optional_int, options, switch_form
from incubator.i18n import LANGUAGE_NAMES

LANGUAGE_CHOICES = options(LANGUAGE_NAMES.items())


def valid_email(_form: object, field: EmailField) -> None:
    """Syntax only, no DNS lookup; the reserved .test domain of the demo accounts is allowed."""
    try:
        validate_email(field.data or "", check_deliverability=False, test_environment=True)
    except EmailNotValidError as error:
        raise ValidationError(_l("Invalid email address.")) from error


def email_field(label: str = _l("Email")) -> EmailField:
    return EmailField(label, validators=[REQUIRED_TEXT, Length(max=254), valid_email])


def new_password_fields() -> tuple[PasswordField, PasswordField]:
    return (
        PasswordField(_l("New password"), validators=[REQUIRED, Length(max=200)]),
        PasswordField(
            _l("Repeat the password"),
            validators=[REQUIRED, EqualTo("password", message=_l("The passwords do not match."))],
        ),
    )


class LoginForm(Form):
    email = email_field()
    password = PasswordField(_l("Password"), validators=[REQUIRED, Length(max=200)])
    next = HiddenField()


class RegisterForm(Form):
    name = StringField(_l("Full name"), validators=[REQUIRED_TEXT, Length(max=120)])
    email = email_field()
    password, confirm = new_password_fields()
    locale = SelectField(_l("Language"), choices=LANGUAGE_CHOICES, default="vi")


class ForgotPasswordForm(Form):
    email = email_field()


class ConfirmEmailForm(Form):
    """Only the CSRF token: the link's token is in the address."""


class SetPasswordForm(Form):
    password, confirm = new_password_fields()


class ChangePasswordForm(Form):
    current_password = PasswordField(_l("Current password"), validators=[REQUIRED, Length(max=200)])
    new_password = PasswordField(_l("New password"), validators=[REQUIRED, Length(max=200)])
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[
            REQUIRED,
            EqualTo("new_password", message=_l("The passwords do not match.")),
        ],
    )
    # account recovery ends the API tokens too, unless the owner keeps them (default: revoke)
    revoke_tokens = BooleanField(_l("Also revoke my API tokens"), default=True)


class ProfileForm(Form):
    name = StringField(_l("Full name"), validators=[REQUIRED_TEXT, Length(max=120)])
    locale = SelectField(_l("Language"), choices=LANGUAGE_CHOICES)


def role_choices(roles: tuple[Role, ...] = tuple(Role)) -> list[SelectChoice]:
    return options((role.value, role.label) for role in roles)


def center_field() -> SelectField:
    return SelectField(
        _l("Center (for managers)"),
        coerce=optional_int,
        choices=[],
        validators=[Optional()],
        validate_choice=False,
    )


class InviteForm(Form):
    email = email_field()
    name = StringField(_l("Full name"), validators=[REQUIRED_TEXT, Length(max=120)])
    role = SelectField(
        _l("Role"), choices=role_choices((Role.MENTOR, Role.JUDGE, Role.MANAGER, Role.ADMIN))
    )
    center_id = center_field()
    # "1" once the admin has confirmed giving the role to an email that already has an account
    grant_existing = HiddenField()


class GrantRoleForm(Form):
    role = SelectField(_l("Role"), choices=role_choices())
    center_id = center_field()


ActiveForm = switch_form("active")
