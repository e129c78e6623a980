"""Admin: the mails the portal sends, as the settings page edits them (the wording itself is
saved with the other settings, PATCH /api/admin/settings).

Services are imported in the view: a cold start loads only what the route it answers needs."""

from __future__ import annotations

from chalice.app import Blueprint
from pydantic import ConfigDict

from chalicelib.api.routing import ADMINS, route
from chalicelib.services.fields import Language, MailTemplate, TemplateOverride
from chalicelib.services.principal import Principal
from chalicelib.shapes.mail_templates import MailPreviewAnswer, MailTemplateList

blueprint = Blueprint(__name__)


class PreviewRequest(TemplateOverride):
    """An unsaved wording of one mail in one language (a part left empty keeps the built-in)."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    template: MailTemplate
    language: Language


@route(blueprint, "/api/admin/settings/mail-templates", access=ADMINS, tag="admin",
       summary="Every mail the portal sends: built-in text per language and its variables.")
def list_mail_templates(caller: Principal) -> MailTemplateList:
    from chalicelib.services import mail_templates

    return {"templates": mail_templates.list_mail_templates()}


@route(blueprint, "/api/admin/settings/mail-templates/preview", method="POST", access=ADMINS,
       body=PreviewRequest, tag="admin",
       summary="A mail as an unsaved wording would send it, with sample data (400 if refused).")
def preview_mail_template(caller: Principal, body: PreviewRequest) -> MailPreviewAnswer:
    from chalicelib.services import mail_templates
    from chalicelib.services.settings import get_portal_settings

    return {"preview": mail_templates.preview(
        body.template, body.language, body.subject, body.body, get_portal_settings().portal_name
    )}
