from app.web.forms import FlaskForm
from wtforms import BooleanField, PasswordField, SelectField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, Regexp, ValidationError

from app.accounts.markets import MARKET_NAMES
from app.connections.services import RETIRED_REASON
from app.partner_center.clouds import CLOUDS

GUID = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"


class InstanceForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired("Give the connection a name."), Length(max=64),
                                           Regexp(r"^[a-z0-9][a-z0-9-]*$", message="Use lower-case letters, digits and hyphens.")])
    cloud = SelectField("Cloud", choices=[SelectChoice(name, cloud.label) for name, cloud in CLOUDS.items()])
    tenant_id = StringField("Partner tenant ID", validators=[DataRequired("Enter your partner tenant ID."),
                                                             Regexp(GUID, message="A tenant ID looks like 8a1f5c2e-3b7d-4e6f-9a0c-1d2e3f4a5b6c.")])
    client_id = StringField("Application (client) ID", validators=[DataRequired("Enter the application (client) ID."),
                                                                   Regexp(GUID, message="A client ID looks like 8a1f5c2e-3b7d-4e6f-9a0c-1d2e3f4a5b6c.")])
    client_secret = PasswordField("Client secret", validators=[Optional(), Length(max=500)],
                                  description="Stored encrypted. Leave blank to keep the stored secret.")
    refresh_token = PasswordField("Refresh token (App+User)", validators=[Optional(), Length(max=8000)],
                                  description="For App+User operations (partner ID checks, relationship links, price sheet). Stored encrypted; leave blank to keep.")
    make_default = BooleanField("Make this the default connection",
                                description="The default connection serves every request that does not name one "
                                            "(new customers, the catalog, checks while a buyer types). With a "
                                            "single connection, that one serves.")
    submit = SubmitField("Save connection")

    def validate_cloud(self, field):
        cloud = CLOUDS.get(field.data)
        if cloud is not None and cloud.retired:
            raise ValidationError(RETIRED_REASON)


def markets_form(names: list[str], assigned: dict[str, str], default_name: str | None, **kwargs) -> FlaskForm:
    """admin > Partner Center > Markets: one choice per storefront market, the connection that serves it
    (blank: the default connection)."""

    class MarketsForm(FlaskForm):
        submit = SubmitField("Save markets")

    default_label = f"Default connection ({default_name})" if default_name else "Default connection"
    for market, label in MARKET_NAMES.items():
        choices = [SelectChoice("", default_label), *(SelectChoice(name, name) for name in names)]
        if assigned.get(market) and assigned[market] not in names:  # its connection was removed since
            choices.append(SelectChoice(assigned[market], f"{assigned[market]} (no such connection)"))
        setattr(MarketsForm, f"market_{market}", SelectField(f"{label} ({market})", choices=choices,
                                                             default=assigned.get(market, "")))
    form = MarketsForm(**kwargs)
    form.market_fields = [(market, getattr(form, f"market_{market}")) for market in MARKET_NAMES]
    return form


class CheckForm(FlaskForm):
    submit = SubmitField("Check connection")
