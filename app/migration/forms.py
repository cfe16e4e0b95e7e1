"""The forms of admin > Migration (upload, schedule, migrate now, webinars) and of the notices."""
from __future__ import annotations

from app.time import utcnow
from app.web.forms import FlaskForm
from flask_wtf.file import FileField
from wtforms import DateField, DateTimeLocalField, HiddenField, SelectField, StringField, URLField
from wtforms.validators import DataRequired, Length, Optional, URL, ValidationError

MAX_UPLOAD_BYTES = 50 * 1024 * 1024


def _stripped(value):
    return value.strip() if isinstance(value, str) else value


class UploadForm(FlaskForm):
    file = FileField("Migration file (JSON)",
                     description="The layout is in the README, with an example in app/migration/example.json.")

    def validate_file(self, field):
        upload = field.data
        if upload is None or not getattr(upload, "filename", ""):
            raise ValidationError("Choose the migration file to import.")
        if not upload.filename.lower().endswith(".json"):
            raise ValidationError("Choose a .json file in the migration layout.")


class ScheduleForm(FlaskForm):
    account = SelectField("Account", coerce=str, validate_choice=False,
                          validators=[DataRequired("Choose the account to migrate.")])
    legacy_id = StringField("Legacy account ID", filters=[_stripped],
                            validators=[DataRequired("Enter the account's id in the previous portal."), Length(max=64)],
                            description="Its legacy_id in the migration file, so the import updates this account.")
    scheduled_for = DateField("Planned migration date", validators=[Optional()],
                              invalid_value_message="Enter a date like 2026-12-31.",
                              description="Optional; shown in the banner.")

    def validate_scheduled_for(self, field):
        # The banner says the account "will be migrated ... on" this date: a date gone by would tell
        # its users something untrue.
        if field.data and field.data < utcnow().date():
            raise ValidationError("The planned date has passed: enter today or a later date, or leave it empty.")


class MigrateNowForm(FlaskForm):
    """Complete a scheduled account's migration: its legacy users are mailed and invited."""


class WebinarForm(FlaskForm):
    title = StringField("Title", filters=[_stripped],
                        validators=[DataRequired("Enter the webinar's title."), Length(max=200)])
    starts_at = DateTimeLocalField("Starts at (UTC)", format="%Y-%m-%dT%H:%M",
                                   validators=[DataRequired("Enter the date and time, like 2026-12-03 16:00.")])
    url = URLField("Link to join or register", filters=[_stripped],
                   validators=[DataRequired("Enter the link."),
                               URL(require_tld=False, message="Enter a link starting with https://."),
                               Length(max=500)])

    def validate_starts_at(self, field):
        # Only webinars to come are shown to migrated accounts (services.upcoming_webinars): one that
        # has started would be saved and never seen.
        if field.data and field.data < utcnow():
            raise ValidationError("This time has passed: enter when the webinar starts, like 2026-12-03 16:00.")

    def validate_url(self, field):
        # Said once: a link the URL check refused already has this message.
        if field.data and not field.errors and not field.data.lower().startswith(("https://", "http://")):
            raise ValidationError("Enter a link starting with https://.")


class RemoveWebinarForm(FlaskForm):
    pass


class HideNoticeForm(FlaskForm):
    notice = HiddenField()
