from app.web.forms import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, Email, Length

from app.auth.passwords import MAX_LENGTH, MIN_LENGTH

# One password field per form: asking for it twice does not help people who cannot see what they
# type, and a mistyped password is mended with "Forgot password?".
NEW_PASSWORD_HINT = (f"At least {MIN_LENGTH} characters; not your email address, nor a common password. "
                     "A few unrelated words make a good one.")


def _email_field(label: str) -> EmailField:
    return EmailField(label, validators=[DataRequired("Enter your email address."),
                                         Email("Enter an email address like name@example.com."), Length(max=254)])


def _new_password(label: str) -> PasswordField:
    # Its rules (app/auth/passwords.py) are the service's, which knows the user's email.
    return PasswordField(label, description=NEW_PASSWORD_HINT,
                         validators=[DataRequired("Choose a password."), Length(max=MAX_LENGTH)])


class SignInForm(FlaskForm):
    email = _email_field("Email")
    password = PasswordField("Password", validators=[DataRequired("Enter your password."), Length(max=200)])
    remember = BooleanField("Remember me")
    submit = SubmitField("Sign in")


class TokenForm(FlaskForm):
    """A button that acts on the link it came from (ask for a new invitation, confirm an email), and the
    base of the forms that do."""

    token = HiddenField()


class AcceptInvitationForm(TokenForm):
    name = StringField("Your name", validators=[DataRequired("Enter your name."), Length(max=120)])
    password = _new_password("Password")


class ForgotPasswordForm(FlaskForm):
    email = _email_field("Email")


class ResetPasswordForm(TokenForm):
    password = _new_password("New password")


class NameForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired("Enter your name."), Length(max=120)])


class EmailChangeForm(FlaskForm):
    new_email = EmailField("New email address", validators=[
        DataRequired("Enter the new email address."), Email("Enter an email address like name@example.com."),
        Length(max=254)])
    password = PasswordField("Your password", description="To confirm it is you.",
                             validators=[DataRequired("Enter your password."), Length(max=200)])


class PasswordChangeForm(FlaskForm):
    current_password = PasswordField("Current password", validators=[
        DataRequired("Enter your current password."), Length(max=200)])
    new_password = _new_password("New password")


class PlainForm(FlaskForm):
    """A button with nothing but its CSRF token (cancel an email change)."""
