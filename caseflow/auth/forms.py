"""Sign-in and token forms (Flask-WTF, CSRF-protected)."""

from flask_wtf import FlaskForm
from wtforms import EmailField, IntegerField, PasswordField, StringField
from wtforms.validators import DataRequired, Length, NumberRange


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=1024)])


class TokenForm(FlaskForm):
    name = StringField("What it is for", validators=[DataRequired(), Length(max=100)])
    days = IntegerField("Expires after (days)", default=90, validators=[DataRequired(), NumberRange(1, 365)])


class PasswordChangeForm(FlaskForm):
    current_password = PasswordField("Current password", validators=[DataRequired()])
    new_password = PasswordField("New password", validators=[DataRequired(), Length(min=12, max=1024)])
