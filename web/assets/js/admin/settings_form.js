// @ts-check
// The settings page's sections and their controls, built from the settings as loaded: each
// setting has its own translated label and control (topics and organizations as selects read
// from their APIs, document types as checkboxes); a setting this page does not know yet gets a
// plain one under "Limits".

import { h, icon } from "../dom.js";
import { renderMarkup } from "../markup.js";
import { t, LANGUAGES } from "../i18n.js";
import { textControl, numberControl, checkControl, selectControl, colourControl, rowsControl,
  checkboxesControl, recipientsControl, megabytesControl, genericControl, section } from "./controls.js";
import { troubleshootersControl } from "./troubleshooters.js";
import { logoControl } from "./logo.js";
import { templatesControl } from "./mail_templates.js";

const CHANNELS = ["portal", "email", "troubleshooter", "agent"];

const KNOWN = new Set(["portal_name", "logo_url", "primary_color", "accent_color", "banner_links",
  "announcement", "default_language", "self_registration", "magic_link_sign_in", "require_second_factor_staff",
  "idle_timeout_minutes",
  "absolute_lifetime_hours", "topics", "author_display", "team_display_name", "author_custom_text",
  "status_display", "org_view_enabled", "followers_outside_org", "trash_retention_days",
  "reopen_window_days", "auto_close_days",
  "hidden_topics", "hidden_channels", "acknowledge_customer_messages", "support_address",
  "customer_alert_recipients", "support_alert_recipients", "notification_templates",
  "attachment_max_bytes", "attachments_per_ticket", "troubleshooters", "attachment_types",
  "inbound_default_topic", "inbound_unknown_sender", "inbound_default_org",
  "sso_providers"]);

/** The document types the server can check (chalicelib/services/files.py), by their usual names.
 * @type {Choice[]} */
const ATTACHMENT_TYPES = [
  ["application/pdf", "PDF"], ["image/png", "PNG"], ["image/jpeg", "JPEG"], ["image/gif", "GIF"],
  ["image/webp", "WebP"], ["text/plain", "TXT"], ["text/csv", "CSV"], ["application/zip", "ZIP"],
  ["application/vnd.openxmlformats-officedocument.wordprocessingml.document", "Word (DOCX)"],
  ["application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "Excel (XLSX)"],
  ["application/vnd.openxmlformats-officedocument.presentationml.presentation", "PowerPoint (PPTX)"],
];

/** What becomes of mail from an address without an account (services/settings.py). */
const UNKNOWN_SENDER = ["create", "reject", "drop"];

/** @param {Registry} registry @param {Settings} settings */
function attachmentTypesControl(registry, settings) {
  const known = new Set(ATTACHMENT_TYPES.map(([mime]) => mime));
  // A type saved by a newer server keeps its checkbox, under its own name.
  /** @type {string[]} */
  const saved = settings.attachment_types || [];
  /** @type {Choice[]} */
  const extra = saved.filter((mime) => !known.has(mime)).map((mime) => [mime, mime]);
  const wrapper = checkboxesControl(registry, settings, "attachment_types", t("admin.attachmentTypes"),
    [...ATTACHMENT_TYPES, ...extra]);
  wrapper.querySelector(".checks")?.after(h("p", { class: "field__hint", text: t("admin.attachmentTypesHint") }));
  return wrapper;
}

/** The announcement, in its small markup (markup.js): the syntax after the hint, in examples
 * that need no translation, and a live preview, whose links open in a new tab (following one
 * here would lose what is not saved). @param {Registry} registry @param {Settings} settings */
function announcementControl(registry, settings) {
  const wrapper = textControl(registry, settings, "announcement", t("admin.announcement"),
    { multiline: true, rows: 3, maxlength: 2000, hint: t("admin.announcementHint") });
  wrapper.querySelector(".field__hint")?.append(" ", h("code", { text: "**bold** *italic* [link](https://…)" }));
  const text = h("div", {});
  const preview = h("div", { class: "field announcement-preview" },
    h("span", { class: "field__label", text: t("admin.preview") }),
    h("div", { class: "announcement" }, h("div", { class: "announcement__inner" }, icon("bell"), text)));
  const show = () => {
    text.replaceChildren(...renderMarkup(wrapper.control.value, true));
    preview.hidden = !text.childElementCount;
  };
  wrapper.control.addEventListener("input", show);
  show();
  return h("div", { class: "form" }, wrapper, preview);
}

/** The sections, in the page's order, their controls registered in `registry`; `updatePreview`
 * paints the branding preview from what the controls now read.
 * @param {Registry} registry @param {Settings} s the settings as loaded
 * @param {{teamList: Team[] | null, orgList: Org[] | null}} lists */
export function settingsSections(registry, s, { teamList, orgList }) {
  const previewName = h("span", { class: "brand-preview__name" });
  const preview = h("div", { class: "brand-preview", "aria-hidden": "true" },
    h("span", { class: "brand-preview__bar" }, previewName),
    h("span", { class: "brand-preview__body" },
      h("span", { class: "brand-preview__button", text: t("admin.previewButton") }),
      h("span", { class: "brand-preview__link", text: t("admin.previewLink") }),
      h("span", { class: "brand-preview__accent", text: t("status.open") })));
  const updatePreview = () => {
    const values = registry.values();
    const colour = (/** @type {string} */ key) => {
      const value = String(values[key] || "");
      return /^#[0-9a-f]{6}$/i.test(value) ? value : null;
    };
    previewName.textContent = String(values.portal_name || "");
    const primary = colour("primary_color");
    const accent = colour("accent_color");
    if (primary) preview.style.setProperty("--preview-primary", primary);
    if (accent) preview.style.setProperty("--preview-accent", accent);
  };
  const nameField = textControl(registry, s, "portal_name", t("admin.portalName"), { maxlength: 80 });
  nameField.control.addEventListener("input", updatePreview);
  /** @type {Topic[]} */
  const topics = s.topics || [];
  /** @type {Choice[]} */
  const topicOptions = topics.map((topic) => [topic.id, topic.name]);

  const branding = section(t("admin.branding"), t("admin.brandingLead"),
    nameField,
    logoControl(registry, s, updatePreview),
    h("div", { class: "grid grid--2" },
      colourControl(registry, s, "primary_color", t("admin.primaryColor"), updatePreview),
      colourControl(registry, s, "accent_color", t("admin.accentColor"), updatePreview)),
    h("div", { class: "field" }, h("span", { class: "field__label", text: t("admin.preview") }), preview),
    rowsControl(registry, s, "banner_links", t("admin.bannerLinks"),
      [["label", t("admin.linkLabel"), { maxlength: 60 }], ["url", t("admin.linkUrl"), { maxlength: 500, placeholder: "https://" }]],
      t("admin.addLink")),
    announcementControl(registry, s));

  const conversations = section(t("admin.conversations"), t("admin.conversationsLead"),
    rowsControl(registry, s, "topics", t("admin.topics"),
      [["id", t("admin.topicId"), { maxlength: 40, pattern: "[a-z0-9][a-z0-9_-]*" }],
        ["name", t("admin.topicName"), { maxlength: 80 }],
        // A select of the teams (free text only if they could not be read).
        ["team_id", t("admin.topicTeam"), { maxlength: 40 },
          teamList ? teamList.map((team) => [team.id, team.name]) : null],
        // The name customers reading each language see; empty, they see the Name.
        ...Object.entries(LANGUAGES).map(([code, language]) =>
          /** @type {import("./controls.js").Column} */ ([`names.${code}`, language, { maxlength: 80, lang: code }]))],
      t("admin.addTopic"), { hint: t("admin.topicNamesHint"), wrap: true }),
    h("div", { class: "grid grid--2" },
      selectControl(registry, s, "author_display", t("admin.authorDisplay"), [
        ["none", t("admin.author.none")], ["team", t("admin.author.team")],
        ["agent_name", t("admin.author.agent_name")], ["custom", t("admin.author.custom")]]),
      selectControl(registry, s, "status_display", t("admin.statusDisplay"), [
        ["simple", t("admin.status.simple")], ["full", t("admin.status.full")]])),
    h("div", { class: "grid grid--2" },
      textControl(registry, s, "team_display_name", t("admin.teamDisplayName"), { maxlength: 80 }),
      textControl(registry, s, "author_custom_text", t("admin.authorCustomText"), { maxlength: 80 })),
    checkControl(registry, s, "org_view_enabled", t("admin.orgView"), t("admin.orgViewHint")),
    checkControl(registry, s, "followers_outside_org", t("admin.followersOutside"),
      t("admin.followersOutsideHint")),
    checkboxesControl(registry, s, "hidden_topics", t("admin.hiddenTopics"), topicOptions),
    checkboxesControl(registry, s, "hidden_channels", t("admin.hiddenChannels"),
      CHANNELS.map((c) => [c, t(`channel.${c}`)])),
    h("div", { class: "grid grid--2" },
      numberControl(registry, s, "reopen_window_days", t("admin.reopenWindow"), t("admin.days")),
      numberControl(registry, s, "auto_close_days", t("admin.autoClose"), t("admin.days"))));

  const troubleshooters = section(t("admin.troubleshooters"), t("admin.troubleshootersLead"),
    troubleshootersControl(registry, s, topicOptions));

  const accounts = section(t("admin.accounts"), t("admin.accountsLead"),
    h("div", { class: "grid grid--2" },
      selectControl(registry, s, "default_language", t("admin.defaultLanguage"), Object.entries(LANGUAGES)),
      h("div", {})),
    checkControl(registry, s, "self_registration", t("admin.selfRegistration"), t("admin.selfRegistrationHint")),
    checkControl(registry, s, "magic_link_sign_in", t("admin.magicLinkSignIn"), t("admin.magicLinkSignInHint")),
    checkControl(registry, s, "require_second_factor_staff", t("admin.requireSecondFactorStaff"),
      t("admin.requireSecondFactorStaffHint")),
    h("div", { class: "grid grid--2" },
      numberControl(registry, s, "idle_timeout_minutes", t("admin.idleTimeout"), t("admin.minutes")),
      numberControl(registry, s, "absolute_lifetime_hours", t("admin.absoluteLifetime"), t("admin.hours"))));

  const generic = Object.keys(s).filter((key) => !KNOWN.has(key));
  const limits = section(t("admin.limits"), t("admin.limitsLead"),
    h("div", { class: "grid grid--2" },
      numberControl(registry, s, "trash_retention_days", t("admin.trashRetention"), t("admin.days")),
      "attachment_max_bytes" in s
        ? megabytesControl(registry, s, "attachment_max_bytes", t("admin.maxFileSize"), t("admin.megabytes"))
        : null,
      "attachments_per_ticket" in s
        ? numberControl(registry, s, "attachments_per_ticket", t("admin.filesPerTicket"))
        : null),
    "attachment_types" in s ? attachmentTypesControl(registry, s) : null,
    generic.map((key) => genericControl(registry, s, key)));

  const firstTopic = (s.topics || [])[0];
  const inbound = section(t("admin.inbound"), t("admin.inboundLead"),
    "inbound_default_topic" in s
      ? selectControl(registry, s, "inbound_default_topic", t("admin.inboundTopic"),
        [["", firstTopic ? t("admin.inboundTopicFirst", { name: firstTopic.name }) : t("admin.inboundTopicNone")],
          ...topicOptions], t("admin.inboundTopicHint"))
      : null,
    "inbound_unknown_sender" in s
      ? selectControl(registry, s, "inbound_unknown_sender", t("admin.inboundUnknown"),
        UNKNOWN_SENDER.map((value) => /** @type {Choice} */ ([value, t(`admin.inboundUnknown.${value}`)])),
        t("admin.inboundUnknownHint"))
      : null,
    "inbound_default_org" in s
      ? selectControl(registry, s, "inbound_default_org", t("admin.inboundOrg"),
        [["", t("admin.inboundOrgOwn")], ...(orgList || []).map((org) => /** @type {Choice} */ ([org.id, org.name]))],
        t("admin.inboundOrgHint"))
      : null);

  const notifications = section(t("admin.notifications"), t("admin.notificationsLead"),
    checkControl(registry, s, "acknowledge_customer_messages", t("admin.acknowledge")),
    textControl(registry, s, "support_address", t("admin.supportAddress"), { type: "email", maxlength: 254 }),
    recipientsControl(registry, s, "customer_alert_recipients", t("admin.customerRecipients")),
    recipientsControl(registry, s, "support_alert_recipients", t("admin.supportRecipients")),
    templatesControl(registry, s));

  return { sections: [branding, conversations, troubleshooters, accounts, limits, inbound, notifications], updatePreview };
}
