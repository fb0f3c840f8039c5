"""Sign-in, accounts, units, roles, hand-over and the audit trail."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from .common import Integer, LocalDateTime, Strict


class TokenRequest(Strict):
    username = fields.String(required=True, validate=validate.Length(min=1, max=64))
    password = fields.String(required=True, validate=validate.Length(min=1, max=200))


class MembershipIO(Strict):
    unit = fields.String(required=True, validate=validate.Length(min=1, max=64))
    role = fields.String(required=True, validate=validate.Length(min=1, max=64))


class UserOut(Schema):
    id = fields.Integer()
    username = fields.String()
    full_name = fields.String()
    email = fields.String(allow_none=True)
    active = fields.Boolean()
    roles = fields.List(fields.String())
    memberships = fields.List(fields.Nested(MembershipIO))
    must_change_password = fields.Boolean(metadata={
        "description": "an administrator set the password: every call but POST /me/password answers 403 "
                       "password-change-required until it is changed"})


class PasswordChangeIn(Strict):
    current_password = fields.String(required=True, validate=validate.Length(min=1, max=200))
    new_password = fields.String(required=True, validate=validate.Length(min=1, max=200))
    repeat_password = fields.String(validate=validate.Length(max=200), metadata={
        "description": "the new password again (a form's second box); by default the new password"})


class TokenResponse(Schema):
    access_token = fields.String()
    token_type = fields.String()
    expires_in = fields.Integer()
    user = fields.Nested(UserOut)


class UserRef(Strict):
    user_id = Integer(required=True, strict=True)


class HandoverIn(Strict):
    from_user = Integer(required=True, strict=True)
    to_user = Integer(required=True, strict=True)
    deactivate = fields.Boolean(load_default=False, metadata={"description": "disable the leaver's account"})


class HandoverOut(Schema):
    from_user = fields.Integer()
    to_user = fields.Integer()
    moved_tasks = fields.List(fields.String())
    moved_dossiers = fields.List(fields.String())
    skipped = fields.List(fields.Dict())
    deactivated = fields.Boolean()
    tasks = fields.List(fields.Nested(lambda: HandoverTaskOut()), metadata={"description": "the tasks that move"})
    dossiers = fields.List(fields.Nested(lambda: HandoverDossierOut()),
                           metadata={"description": "the dossiers whose desk officer changes"})


class HandoverTaskOut(Schema):
    task = fields.String()
    dossier = fields.String()
    procedure = fields.String()
    step = fields.String()
    state = fields.String()
    role = fields.String()
    due_at = LocalDateTime(allow_none=True)
    owner_only = fields.Boolean(metadata={"description": "only the ownership moves (the task is delegated)"})


class HandoverDossierOut(Schema):
    dossier = fields.String()
    procedure = fields.String()
    status = fields.String()
    due_at = LocalDateTime(allow_none=True)


class AuditOut(Schema):
    seq = fields.Integer()
    at = LocalDateTime()
    actor_id = fields.Integer(allow_none=True)
    actor_unit = fields.String(allow_none=True)
    action = fields.String()
    entity = fields.String()
    entity_id = fields.String(allow_none=True)
    task_id = fields.String(allow_none=True)
    step = fields.String(allow_none=True)
    before = fields.Dict(allow_none=True)
    after = fields.Dict(allow_none=True)
    detail = fields.Dict()
    hash = fields.String()


class AuditList(Schema):
    items = fields.List(fields.Nested(AuditOut))


class UnitIO(Strict):
    code = fields.String(dump_only=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=300))
    level = fields.String(required=True, validate=validate.OneOf(["province", "commune"]))
    parent_code = fields.String(allow_none=True, load_default=None)
    address = fields.String(allow_none=True, load_default=None)
    phone = fields.String(allow_none=True, load_default=None)
    authority = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=300),
                              metadata={"description": "the authority competent for what the unit receives, "
                                                       "named on receipts (form 01)"})
    active = fields.Boolean(load_default=True)


class UnitList(Schema):
    items = fields.List(fields.Nested(UnitIO))


class RoleOut(Schema):
    code = fields.String()
    name_vi = fields.String()
    name_en = fields.String()


class RoleList(Schema):
    items = fields.List(fields.Nested(RoleOut))


class UserCreate(Strict):
    username = fields.String(required=True, validate=validate.Regexp(r"^[a-z0-9._-]{3,64}$"))
    password = fields.String(required=True, validate=validate.Length(min=8, max=200), load_only=True)
    full_name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    email = fields.Email(allow_none=True, load_default=None)
    memberships = fields.List(fields.Nested(MembershipIO), load_default=list)


class UserPatch(Strict):
    full_name = fields.String(validate=validate.Length(min=1, max=200))
    email = fields.Email(allow_none=True)
    active = fields.Boolean()


class UserList(Schema):
    items = fields.List(fields.Nested(UserOut))


class VerificationOut(Schema):
    ok = fields.Boolean()
    checked = fields.Integer(metadata={"description": "entries found intact (before `broken_at` when broken)"})
    broken_at = fields.Integer(allow_none=True)
    reason = fields.String()
    code = fields.String(metadata={"description": "what broke: missing-entry, broken-link, hash-mismatch, "
                                                  "truncated, checkpoint-mismatch, checkpoint-forged, "
                                                  "boundary-moved, no-head; empty when intact"})
    checkpoints = fields.Integer(metadata={"description": "signed checkpoints the chain matched"})
    last_checkpoint = fields.Integer(allow_none=True, metadata={"description": "the newest checkpoint's entry"})
    legacy_until = fields.Integer(metadata={"description": "entries up to here predate the key (plain SHA-256)"})
