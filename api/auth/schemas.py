from marshmallow import Schema, fields, validate

from api.auth.models import MIN_PASSWORD_LENGTH, ROLES

_DEVICE_ID = validate.Length(min=1, max=128)


class LoginSchema(Schema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=64))
    password = fields.String(required=True, load_only=True, validate=validate.Length(max=256))
    device_id = fields.String(
        validate=_DEVICE_ID,
        metadata={
            "description": "A persistent random id of this device (16 characters or more to "
            "be trusted by throttling); when missing, one is made and returned."
        },
    )


class RefreshSchema(Schema):
    refresh_token = fields.String(required=True, validate=validate.Length(max=256))
    device_id = fields.String(
        required=True,
        validate=_DEVICE_ID,
        error_messages={
            "required": "Send the device_id this refresh token was issued to (the sign-in "
            "answer carries it)."
        },
        metadata={"description": "The device_id of the sign-in that issued the refresh token"},
    )


class TokensSchema(Schema):
    access_token = fields.String(required=True)
    refresh_token = fields.String()
    token_type = fields.String()
    expires_in = fields.Integer(metadata={"description": "access-token lifetime, seconds"})
    device_id = fields.String(
        metadata={"description": "The device the refresh token is bound to; send it to refresh"}
    )


class PasswordChangeSchema(Schema):
    current_password = fields.String(
        required=True, load_only=True, validate=validate.Length(max=256)
    )
    new_password = fields.String(
        required=True, load_only=True, validate=validate.Length(min=MIN_PASSWORD_LENGTH, max=256)
    )


class AreaBriefSchema(Schema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()
    level = fields.String()


class UserSchema(Schema):
    id = fields.Integer(dump_only=True)
    username = fields.String(required=True, validate=validate.Regexp(r"^[A-Za-z0-9_.\-]{3,64}$"))
    display_name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    area_id = fields.Integer(required=True)
    area = fields.Nested(AreaBriefSchema, dump_only=True)
    active = fields.Boolean(dump_only=True)
    must_change_password = fields.Boolean(
        dump_only=True,
        metadata={
            "description": "A temporary password set by an admin: until it is changed "
            "(POST /me/password), the user may only change it"
        },
    )
    created_at = fields.AwareDateTime(dump_only=True)
    password = fields.String(
        required=True, load_only=True, validate=validate.Length(min=MIN_PASSWORD_LENGTH, max=256)
    )


class UserUpdateSchema(Schema):
    display_name = fields.String(validate=validate.Length(min=1, max=100))
    role = fields.String(validate=validate.OneOf(ROLES))
    area_id = fields.Integer()
    active = fields.Boolean()
    password = fields.String(
        load_only=True, validate=validate.Length(min=MIN_PASSWORD_LENGTH, max=256)
    )


class UserQuerySchema(Schema):
    role = fields.String(validate=validate.OneOf(ROLES))
    area_id = fields.Integer()
    active = fields.Boolean()
    q = fields.String(
        validate=validate.Length(min=1, max=100),
        metadata={"description": "a part of the username or display name"},
    )


class RevokedSchema(Schema):
    revoked_sessions = fields.Integer()


class PasswordResetSchema(Schema):
    password = fields.String(
        load_only=True,
        validate=validate.Length(min=MIN_PASSWORD_LENGTH, max=256),
        metadata={"description": "the temporary password; none: a random one is made"},
    )


class PasswordResetAnswerSchema(Schema):
    temporary_password = fields.String(
        metadata={"description": "to give the user; they must change it at sign-in"}
    )
    revoked_sessions = fields.Integer()


class DeviceSessionSchema(Schema):
    id = fields.Integer()
    device_id = fields.String()
    created_at = fields.AwareDateTime(metadata={"description": "signed in"})
    last_used_at = fields.AwareDateTime(metadata={"description": "last refresh"})
    expires_at = fields.AwareDateTime()
    revoked_at = fields.AwareDateTime(allow_none=True)
