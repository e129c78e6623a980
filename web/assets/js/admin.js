// Administration: portal settings (branding, banner links, announcement, topics, display modes,
// troubleshooter forms, timeouts, limits, notifications), users, organizations, teams, and the audit log.

import { h, append, clear, icon, field, notice, uid, safeImageSrc } from "./dom.js";
import { get, post, patch } from "./api.js";
import { t, has, errorText, fieldErrorText, formatDate, LANGUAGES } from "./i18n.js";
import { setTitle, applyBranding, state } from "./app.js";
import { loadMoreButton, emptyState, segmented } from "./ui.js";
import { templatesControl } from "./mail_templates.js";

const CHANNELS = ["portal", "email", "troubleshooter", "agent"];
const LOGO_MAX_BYTES = 40 * 1024;

export function adminPage(active, title, lead, ...content) {
  setTitle(title);
  const tabs = [["/admin", "settings", t("admin.settings")], ["/admin/users", "users", t("admin.users")],
    ["/admin/orgs", "orgs", t("admin.orgs")], ["/admin/teams", "teams", t("admin.teams")],
    ["/admin/audit", "audit", t("admin.audit")], ["/admin/suppressions", "suppressions", t("admin.suppressions")]];
  return h("div", { class: "page page--admin" },
    h("nav", { class: "subnav", "aria-label": t("admin.sections") },
      h("ul", {}, tabs.map(([href, name, label]) => h("li", {},
        h("a", { href, class: "subnav__link", "aria-current": name === active ? "page" : null, text: label }))))),
    h("div", { class: "page__header" }, h("div", {},
      h("h1", { class: "page__title", text: title }),
      lead ? h("p", { class: "page__lead muted", text: lead }) : null)),
    ...content);
}

// ---------------------------------------------------------------------------------------------
// Settings

/** A registry of controls: each knows its top-level settings key and how to read its value. */
function controls() {
  const list = [];
  const fields = new Map();
  return {
    add(key, read, wrapper) {
      list.push({ key, read });
      if (wrapper) fields.set(key, wrapper);
      return wrapper;
    },
    values() {
      const values = {};
      for (const { key, read } of list) values[key] = read();
      return values;
    },
    fieldOf(key) {
      return fields.get(key);
    },
    clearErrors() {
      for (const wrapper of fields.values()) if (wrapper.setError) wrapper.setError("");
    },
  };
}

function textControl(registry, settings, key, label, options = {}) {
  const input = h(options.multiline ? "textarea" : "input", {
    class: options.multiline ? "textarea" : "input", value: settings[key] ?? "", rows: options.rows,
    maxlength: options.maxlength, type: options.type || (options.multiline ? null : "text"),
  });
  if (options.multiline) input.value = settings[key] ?? "";
  return registry.add(key, () => input.value, field(label, input, { hint: options.hint }));
}

// The bounds the server checks (services/settings.py), so the field says them before a save.
const NUMBER_BOUNDS = { idle_timeout_minutes: { min: 5, max: 1440 } };

function numberControl(registry, settings, key, label, hint) {
  const input = h("input", { class: "input input--number", type: "number", value: settings[key], step: 1,
    ...(NUMBER_BOUNDS[key] || {}) });
  return registry.add(key, () => (input.value === "" ? null : Number(input.value)), field(label, input, { hint }));
}

function checkControl(registry, settings, key, label, hint) {
  const input = h("input", { type: "checkbox", class: "checkbox", checked: Boolean(settings[key]), id: uid("c") });
  const wrapper = h("div", { class: "field field--check" },
    input, h("label", { for: input.id, text: label }),
    hint ? h("p", { class: "field__hint", text: hint }) : null);
  const errorEl = h("p", { class: "field__error", hidden: true });
  wrapper.append(errorEl);
  wrapper.setError = (message) => {
    errorEl.textContent = message || "";
    errorEl.hidden = !message;
  };
  return registry.add(key, () => input.checked, wrapper);
}

function selectControl(registry, settings, key, label, options, hint) {
  const select = choiceSelect(options, settings[key]);
  return registry.add(key, () => select.value, field(label, select, { hint }));
}

function colourControl(registry, settings, key, label, onChange) {
  const picker = h("input", { type: "color", class: "colour__picker", value: settings[key], "aria-label": label });
  const text = h("input", { class: "input input--colour", value: settings[key], maxlength: 7, pattern: "#[0-9a-fA-F]{6}" });
  picker.addEventListener("input", () => {
    text.value = picker.value;
    onChange();
  });
  text.addEventListener("input", () => {
    if (/^#[0-9a-f]{6}$/i.test(text.value)) {
      picker.value = text.value;
      onChange();
    }
  });
  const wrapper = field(label, text);
  wrapper.querySelector(".field__label").after(h("div", { class: "colour" }, picker, text));
  return registry.add(key, () => text.value.trim(), wrapper);
}

/** A select of `options` ([value, text]) that keeps a saved value no longer among them, so
 * saving says what is wrong instead of silently changing it. */
function choiceSelect(options, value, attrs = {}) {
  const select = h("select", { class: "select", ...attrs },
    options.map(([optionValue, text]) => h("option", { value: optionValue, text, selected: value === optionValue })));
  if (value != null && !options.some(([optionValue]) => optionValue === value)) {
    select.append(h("option", { value, text: value, selected: true }));
  }
  return select;
}

/** Rows of small inputs (topics, banner links); `columns` are [key, label, attrs, choices]:
 * with `choices` ([value, text] pairs, the first the default) the cell is a select. */
function rowsControl(registry, settings, key, label, columns, addLabel) {
  const body = h("div", { class: "rows" });
  const rows = [];
  const addRow = (value = {}) => {
    const inputs = columns.map(([name, text, attrs, choices]) => {
      const input = choices
        ? choiceSelect(choices, value[name] ?? (choices.length ? choices[0][0] : null), { class: "select select--small" })
        : h("input", { class: "input input--small", value: value[name] ?? "", ...attrs });
      return [name, input, h("label", { class: "rows__cell" }, h("span", { class: "rows__label", text }), input)];
    });
    const remove = h("button", { type: "button", class: "btn btn--ghost btn--small rows__remove" },
      icon("trash"), h("span", { class: "sr-only", text: t("admin.removeRow") }));
    const row = h("div", { class: "rows__row" }, inputs.map(([, , cell]) => cell), remove);
    const entry = { row, inputs };
    remove.addEventListener("click", () => {
      rows.splice(rows.indexOf(entry), 1);
      row.remove();
    });
    rows.push(entry);
    body.append(row);
    return entry;
  };
  for (const value of settings[key] || []) addRow(value);
  const add = h("button", { type: "button", class: "btn btn--secondary btn--small" }, icon("plus"),
    h("span", { text: addLabel }));
  add.addEventListener("click", () => addRow().inputs[0][1].focus());
  const errorEl = h("p", { class: "field__error", hidden: true });
  const wrapper = h("fieldset", { class: "field fieldset" }, h("legend", { class: "field__label", text: label }),
    body, add, errorEl);
  wrapper.setError = (message) => {
    errorEl.textContent = message || "";
    errorEl.hidden = !message;
  };
  return registry.add(key, () => rows.map(({ inputs }) => Object.fromEntries(
    inputs.map(([name, input]) => [name, input.value.trim()]))), wrapper);
}

function checkboxesControl(registry, settings, key, label, options) {
  const boxes = options.map(([value, text]) => {
    const input = h("input", { type: "checkbox", class: "checkbox", value, id: uid("cb"),
      checked: (settings[key] || []).includes(value) });
    return [input, h("span", { class: "check" }, input, h("label", { for: input.id, text }))];
  });
  const errorEl = h("p", { class: "field__error", hidden: true });
  const wrapper = h("fieldset", { class: "field fieldset" }, h("legend", { class: "field__label", text: label }),
    h("div", { class: "checks" }, boxes.map(([, el]) => el)), errorEl);
  wrapper.setError = (message) => {
    errorEl.textContent = message || "";
    errorEl.hidden = !message;
  };
  return registry.add(key, () => boxes.filter(([input]) => input.checked).map(([input]) => input.value), wrapper);
}

function recipientsControl(registry, settings, key, label) {
  const current = settings[key] || { to: [], cc: [], bcc: [] };
  const inputs = ["to", "cc", "bcc"].map((part) => {
    const input = h("input", { class: "input", value: (current[part] || []).join(", "), placeholder: "name@example.com" });
    return [part, input, field(t(`admin.recipients.${part}`), input)];
  });
  const errorEl = h("p", { class: "field__error", hidden: true });
  const wrapper = h("fieldset", { class: "field fieldset" }, h("legend", { class: "field__label", text: label }),
    h("div", { class: "grid grid--3" }, inputs.map(([, , el]) => el)), errorEl);
  wrapper.setError = (message) => {
    errorEl.textContent = message || "";
    errorEl.hidden = !message;
  };
  return registry.add(key, () => Object.fromEntries(inputs.map(([part, input]) =>
    [part, input.value.split(/[,;\s]+/).map((s) => s.trim()).filter(Boolean)])), wrapper);
}

/** Questions of a troubleshooter as the admin edits them: one a line, choices after "|". */
function questionsText(questions) {
  return (questions || []).map((q) => [q.text, ...(q.options || [])].join(" | ")).join("\n");
}

function parseQuestions(text) {
  return text.split("\n").map((line) => line.trim()).filter(Boolean).map((line) => {
    const [question, ...options] = line.split("|").map((part) => part.trim());
    return { text: question, options: options.filter(Boolean) };
  });
}

/** "questions.2.options" of a refusal, said the way the admin sees the form. */
function troubleshooterPlace(path) {
  const question = /^questions\.(\d+)/.exec(path);
  if (question) return t("admin.ts.questionN", { n: Number(question[1]) + 1 });
  const name = path.split(".")[0];
  return { id: t("admin.ts.id"), name: t("admin.ts.name"), topic: t("admin.ts.topic"),
    intro: t("admin.ts.intro") }[name] || path;
}

function troubleshootersControl(registry, settings, topicOptions) {
  const list = h("div", { class: "troubleshooters" });
  const forms = [];
  const addForm = (value = {}) => {
    const name = h("input", { class: "input", value: value.name || "", maxlength: 80 });
    const id = h("input", { class: "input", value: value.id || "", maxlength: 40,
      pattern: "[a-z0-9][a-z0-9_-]*", autocomplete: "off" });
    const topic = h("select", { class: "select" },
      topicOptions.map(([topicId, text]) => h("option", { value: topicId, text, selected: value.topic === topicId })));
    // A form of a topic that is gone keeps it, so saving says what is wrong instead of moving it.
    if (value.topic && !topicOptions.some(([topicId]) => topicId === value.topic)) {
      topic.append(h("option", { value: value.topic, text: value.topic, selected: true }));
    }
    const intro = h("textarea", { class: "textarea textarea--small", rows: 2, maxlength: 1000 });
    intro.value = value.intro || "";
    const questions = h("textarea", { class: "textarea textarea--small", rows: 5,
      placeholder: t("admin.ts.questionsPlaceholder") });
    questions.value = questionsText(value.questions);
    const errorEl = h("p", { class: "field__error field__error--lines", role: "alert", hidden: true });
    const legend = h("legend", { class: "field__label" });
    const remove = h("button", { type: "button", class: "btn btn--ghost btn--small" }, icon("trash"),
      h("span", { text: t("admin.ts.remove") }));
    const block = h("fieldset", { class: "field fieldset troubleshooter-edit" }, legend,
      h("div", { class: "grid grid--2" },
        field(t("admin.ts.name"), name), field(t("admin.ts.id"), id, { hint: t("admin.ts.idHint") })),
      field(t("admin.ts.topic"), topic),
      field(t("admin.ts.intro"), intro, { optional: t("common.optional") }),
      field(t("admin.ts.questions"), questions, { hint: t("admin.ts.questionsHint") }),
      errorEl, h("div", { class: "form__actions" }, remove));
    const entry = {
      block, errorEl,
      value: () => ({ id: id.value.trim(), name: name.value.trim(), topic: topic.value,
        intro: intro.value.trim(), questions: parseQuestions(questions.value) }),
    };
    const label = () => { legend.textContent = name.value.trim() || t("admin.ts.untitled"); };
    name.addEventListener("input", label);
    label();
    remove.addEventListener("click", () => {
      forms.splice(forms.indexOf(entry), 1);
      block.remove();
    });
    forms.push(entry);
    list.append(block);
    return name;
  };
  for (const value of settings.troubleshooters || []) addForm(value);
  const add = h("button", { type: "button", class: "btn btn--secondary btn--small" }, icon("plus"),
    h("span", { text: t("admin.ts.add") }));
  add.addEventListener("click", () => addForm({ topic: topicOptions.length ? topicOptions[0][0] : "" }).focus());
  const errorEl = h("p", { class: "field__error field__error--lines", role: "alert", hidden: true });
  // The section's title already says "Troubleshooters"; the list has no heading of its own.
  const wrapper = h("div", { class: "field" },
    h("p", { class: "field__hint", text: t("admin.troubleshootersHint") }), errorEl, list, add);
  const show = (el, message) => {
    el.textContent = el.hidden ? message : `${el.textContent}\n${message}`;
    el.hidden = false;
  };
  // Each refusal goes beside the form it is about ("troubleshooters.1.questions.0.text");
  // one about the list as a whole (a duplicate id, an unknown topic) goes under the list.
  wrapper.setError = (message, detail) => {
    if (!message) {
      for (const el of [errorEl, ...forms.map((f) => f.errorEl)]) {
        el.textContent = "";
        el.hidden = true;
      }
      return;
    }
    const where = /^troubleshooters\.(\d+)\.?(.*)$/.exec((detail && detail.field) || "");
    const form = where ? forms[Number(where[1])] : null;
    if (form) show(form.errorEl, `${troubleshooterPlace(where[2])}: ${detail.message}`);
    else show(errorEl, detail ? detail.message : message);
  };
  return registry.add("troubleshooters", () => forms.map((f) => f.value()), wrapper);
}

function logoControl(registry, settings, onChange) {
  let value = settings.logo_url || "";
  const preview = h("span", { class: "logo-preview" });
  const text = h("input", { class: "input", type: "url", placeholder: "https://…", maxlength: 60000 });
  const file = h("input", { type: "file", accept: "image/png,image/jpeg,image/gif,image/webp,image/svg+xml",
    class: "sr-only", id: uid("logo"), tabindex: "-1", "aria-hidden": "true" });
  const upload = h("button", { type: "button", class: "btn btn--secondary btn--small" }, icon("upload"),
    h("span", { text: t("admin.logoUpload") }));
  const remove = h("button", { type: "button", class: "btn btn--ghost btn--small", text: t("admin.logoRemove") });
  const wrapper = field(t("admin.logo"), text, { hint: t("admin.logoHint") });
  const show = () => {
    clear(preview);
    const src = safeImageSrc(value);
    preview.append(src ? h("img", { src, alt: t("admin.logoPreview") }) : h("span", { class: "muted", text: t("admin.noLogo") }));
    text.value = value.startsWith("data:") ? "" : value;
    text.placeholder = value.startsWith("data:") ? t("admin.logoUploaded") : "https://…";
    onChange();
  };
  text.addEventListener("change", () => {
    value = text.value.trim();
    show();
  });
  upload.addEventListener("click", () => file.click());
  remove.addEventListener("click", () => {
    value = "";
    show();
  });
  file.addEventListener("change", () => {
    const chosen = file.files[0];
    file.value = "";
    if (!chosen) return;
    if (chosen.size > LOGO_MAX_BYTES) {
      wrapper.setError(t("admin.logoTooBig", { size: Math.round(LOGO_MAX_BYTES / 1024) }));
      return;
    }
    wrapper.setError("");
    const reader = new FileReader();
    reader.addEventListener("load", () => {
      value = String(reader.result);
      show();
      wrapper.dispatchEvent(new Event("change", { bubbles: true }));
    });
    reader.readAsDataURL(chosen);
  });
  wrapper.append(h("div", { class: "logo-row" }, preview, h("div", { class: "logo-row__actions" }, upload, remove), file));
  show();
  registry.add("logo_url", () => value, wrapper);
  return wrapper;
}

function section(title, description, ...content) {
  const id = uid("sec");
  return h("section", { class: "card settings-section", "aria-labelledby": id },
    h("div", { class: "settings-section__intro" },
      h("h2", { class: "card__title", id, text: title }),
      description ? h("p", { class: "muted", text: description }) : null),
    h("div", { class: "settings-section__fields" }, content));
}

const KNOWN = new Set(["portal_name", "logo_url", "primary_color", "accent_color", "banner_links",
  "announcement", "default_language", "self_registration", "idle_timeout_minutes",
  "absolute_lifetime_hours", "topics", "author_display", "team_display_name", "author_custom_text",
  "status_display", "org_view_enabled", "trash_retention_days", "reopen_window_days", "auto_close_days",
  "hidden_topics", "hidden_channels", "acknowledge_customer_messages", "support_address",
  "customer_alert_recipients", "support_alert_recipients", "notification_templates",
  "attachment_max_bytes", "attachments_per_ticket", "troubleshooters", "attachment_types",
  "inbound_default_topic", "inbound_unknown_sender", "inbound_default_org"]);

/** The document types the server can check (chalicelib/services/files.py), by their usual names. */
const ATTACHMENT_TYPES = [
  ["application/pdf", "PDF"], ["image/png", "PNG"], ["image/jpeg", "JPEG"], ["image/gif", "GIF"],
  ["image/webp", "WebP"], ["text/plain", "TXT"], ["text/csv", "CSV"], ["application/zip", "ZIP"],
  ["application/vnd.openxmlformats-officedocument.wordprocessingml.document", "Word (DOCX)"],
  ["application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "Excel (XLSX)"],
  ["application/vnd.openxmlformats-officedocument.presentationml.presentation", "PowerPoint (PPTX)"],
];

/** What becomes of mail from an address without an account (services/settings.py). */
const UNKNOWN_SENDER = ["create", "reject", "drop"];

const MIB = 1024 * 1024;

function megabytesControl(registry, settings, key, label, hint) {
  const input = h("input", { class: "input input--number", type: "number", min: 0.1, step: 0.1,
    value: Math.round((settings[key] / MIB) * 10) / 10 });
  return registry.add(key, () => (input.value === "" ? null : Math.round(Number(input.value) * MIB)),
    field(label, input, { hint }));
}

function attachmentTypesControl(registry, settings) {
  const known = new Set(ATTACHMENT_TYPES.map(([mime]) => mime));
  // A type saved by a newer server keeps its checkbox, under its own name.
  const extra = (settings.attachment_types || []).filter((mime) => !known.has(mime)).map((mime) => [mime, mime]);
  const wrapper = checkboxesControl(registry, settings, "attachment_types", t("admin.attachmentTypes"),
    [...ATTACHMENT_TYPES, ...extra]);
  wrapper.querySelector(".checks").after(h("p", { class: "field__hint", text: t("admin.attachmentTypesHint") }));
  return wrapper;
}

function humanize(key) {
  const text = key.replace(/_/g, " ");
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** Settings this page has no dedicated control for yet (added by later features). */
function genericControl(registry, settings, key) {
  const value = settings[key];
  const label = humanize(key);
  if (typeof value === "boolean") return checkControl(registry, settings, key, label);
  if (typeof value === "number") return numberControl(registry, settings, key, label);
  if (typeof value === "string") return textControl(registry, settings, key, label);
  if (Array.isArray(value) && value.every((v) => typeof v === "string")) {
    const input = h("input", { class: "input", value: value.join(", ") });
    return registry.add(key, () => input.value.split(",").map((s) => s.trim()).filter(Boolean),
      field(label, input, { hint: t("admin.commaSeparated") }));
  }
  const area = h("textarea", { class: "textarea textarea--code", rows: 4 });
  area.value = JSON.stringify(value, null, 2);
  return registry.add(key, () => {
    try {
      return JSON.parse(area.value);
    } catch {
      return area.value;
    }
  }, field(label, area, { hint: t("admin.json") }));
}

/** What a save sends for one setting: maps (mail overrides, alert recipients) key by key, a key
 * the admin emptied as null (the server removes only what is null); anything else whole. */
function changeOf(before, after) {
  const isMap = (value) => value && typeof value === "object" && !Array.isArray(value);
  if (!isMap(before) || !isMap(after)) return after;
  const change = {};
  for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
    if (!(key in after)) change[key] = null;
    else if (JSON.stringify(before[key]) !== JSON.stringify(after[key])) change[key] = changeOf(before[key], after[key]);
  }
  return change;
}

export async function settings({ main }) {
  const [{ settings: loaded }, teamList, orgList] = await Promise.all([
    get("/api/admin/settings"),
    get("/api/admin/teams").then((page) => page.items).catch(() => null),
    allOrgs().catch(() => null),
  ]);
  let original = loaded;
  const registry = controls();
  const preview = h("div", { class: "brand-preview", "aria-hidden": "true" },
    h("span", { class: "brand-preview__bar" }, h("span", { class: "brand-preview__name" })),
    h("span", { class: "brand-preview__body" },
      h("span", { class: "brand-preview__button", text: t("admin.previewButton") }),
      h("span", { class: "brand-preview__link", text: t("admin.previewLink") }),
      h("span", { class: "brand-preview__accent", text: t("status.open") })));
  const updatePreview = () => {
    const values = registry.values();
    preview.querySelector(".brand-preview__name").textContent = values.portal_name || "";
    if (/^#[0-9a-f]{6}$/i.test(values.primary_color || "")) preview.style.setProperty("--preview-primary", values.primary_color);
    if (/^#[0-9a-f]{6}$/i.test(values.accent_color || "")) preview.style.setProperty("--preview-accent", values.accent_color);
  };
  const s = loaded;
  const nameField = textControl(registry, s, "portal_name", t("admin.portalName"), { maxlength: 80 });
  nameField.control.addEventListener("input", updatePreview);
  const topicOptions = (s.topics || []).map((topic) => [topic.id, topic.name]);

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
    textControl(registry, s, "announcement", t("admin.announcement"),
      { multiline: true, rows: 3, maxlength: 2000, hint: t("admin.announcementHint") }));

  const conversations = section(t("admin.conversations"), t("admin.conversationsLead"),
    rowsControl(registry, s, "topics", t("admin.topics"),
      [["id", t("admin.topicId"), { maxlength: 40, pattern: "[a-z0-9][a-z0-9_-]*" }],
        ["name", t("admin.topicName"), { maxlength: 80 }],
        // A select of the teams (free text only if they could not be read).
        ["team_id", t("admin.topicTeam"), { maxlength: 40 },
          teamList ? teamList.map((team) => [team.id, team.name]) : null]],
      t("admin.addTopic")),
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
    checkboxesControl(registry, s, "hidden_topics", t("admin.hiddenTopics"), topicOptions),
    checkboxesControl(registry, s, "hidden_channels", t("admin.hiddenChannels"),
      CHANNELS.map((c) => [c, t(`channel.${c}`)])),
    h("div", { class: "grid grid--2" },
      numberControl(registry, s, "reopen_window_days", t("admin.reopenWindow"), t("admin.days")),
      numberControl(registry, s, "auto_close_days", t("admin.autoClose"), t("admin.days"))));

  const troubleshooters = section(t("admin.troubleshooters"), t("admin.troubleshootersLead"),
    troubleshootersControl(registry, s, (s.topics || []).map((topic) => [topic.id, topic.name])));

  const accounts = section(t("admin.accounts"), t("admin.accountsLead"),
    h("div", { class: "grid grid--2" },
      selectControl(registry, s, "default_language", t("admin.defaultLanguage"), Object.entries(LANGUAGES)),
      h("div", {})),
    checkControl(registry, s, "self_registration", t("admin.selfRegistration"), t("admin.selfRegistrationHint")),
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
        UNKNOWN_SENDER.map((value) => [value, t(`admin.inboundUnknown.${value}`)]), t("admin.inboundUnknownHint"))
      : null,
    "inbound_default_org" in s
      ? selectControl(registry, s, "inbound_default_org", t("admin.inboundOrg"),
        [["", t("admin.inboundOrgOwn")], ...(orgList || []).map((org) => [org.id, org.name])],
        t("admin.inboundOrgHint"))
      : null);

  const notifications = section(t("admin.notifications"), t("admin.notificationsLead"),
    checkControl(registry, s, "acknowledge_customer_messages", t("admin.acknowledge")),
    textControl(registry, s, "support_address", t("admin.supportAddress"), { type: "email", maxlength: 254 }),
    recipientsControl(registry, s, "customer_alert_recipients", t("admin.customerRecipients")),
    recipientsControl(registry, s, "support_alert_recipients", t("admin.supportRecipients")),
    templatesControl(registry, s));

  const status = h("div", { class: "form-status", "aria-live": "polite" });
  const save = h("button", { type: "submit", class: "btn btn--primary", text: t("common.saveChanges") });
  const savebar = h("div", { class: "savebar", hidden: true }, status, save);
  const form = h("form", { class: "settings-form", novalidate: true },
    branding, conversations, troubleshooters, accounts, limits, inbound, notifications, savebar);
  // The save bar sits over the fields, so it shows only while something differs from what was
  // loaded or last saved; after a save it says so for a moment, then goes.
  let baseline = "";
  // What each control showed when loaded (or last saved): a save sends only what differs from
  // it, so a setting, or a mail override, that this page does not show is never sent, and the
  // server's merge keeps it.
  let shown = {};
  let hideTimer = null;
  const snapshot = () => JSON.stringify(registry.values());
  const syncSavebar = () => {
    const dirty = snapshot() !== baseline;
    if (dirty) {
      clearTimeout(hideTimer);
      hideTimer = null;
      save.hidden = false;
      savebar.hidden = false;
    } else if (!hideTimer && !status.querySelector(".notice--error")) {
      status.replaceChildren();
      savebar.hidden = true;
    }
  };
  for (const type of ["input", "change", "click"]) {
    form.addEventListener(type, () => setTimeout(syncSavebar, 0));
  }
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    registry.clearErrors();
    status.replaceChildren();
    const values = registry.values();
    const changes = {};
    for (const [key, value] of Object.entries(values)) {
      if (JSON.stringify(value) !== JSON.stringify(shown[key])) changes[key] = changeOf(shown[key], value);
    }
    if (!Object.keys(changes).length) {
      status.replaceChildren(notice("info", t("admin.noChanges")));
      return;
    }
    save.disabled = true;
    try {
      const result = await patch("/api/admin/settings", changes);
      original = result.settings;
      baseline = snapshot();
      shown = values;
      status.replaceChildren(notice("success", t("admin.saved")));
      save.hidden = true;
      clearTimeout(hideTimer);
      hideTimer = setTimeout(() => {
        hideTimer = null;
        syncSavebar();
      }, 5000);
      const branding = await get("/api/portal/branding", null, { quiet: true });
      applyBranding(branding);
    } catch (error) {
      const details = Array.isArray(error.details) ? error.details : [];
      for (const detail of details) {
        const key = String(detail.field || "").split(".")[0];
        const wrapper = registry.fieldOf(key);
        if (wrapper && wrapper.setError) wrapper.setError(fieldErrorText(detail), detail);
      }
      status.replaceChildren(notice("error", details.length ? t("admin.invalid") : errorText(error)));
      const first = form.querySelector("[aria-invalid=true], .field__error:not([hidden])");
      if (first) first.scrollIntoView({ block: "center" });
    } finally {
      save.disabled = false;
    }
  });
  append(main, adminPage("settings", t("admin.settings"), t("admin.settingsLead"), form));
  updatePreview();
  baseline = snapshot();
  shown = registry.values();
}

// ---------------------------------------------------------------------------------------------
// Users

async function allOrgs() {
  const orgs = [];
  let cursor = null;
  for (let i = 0; i < 5; i += 1) {
    const page = await get("/api/admin/orgs", { limit: 100, cursor });
    orgs.push(...page.items);
    cursor = page.next_cursor;
    if (!cursor) break;
  }
  return orgs;
}

/** Teams as checkboxes from the team list: a team can only be picked, never typed. */
function teamChecks(teamList, selected = []) {
  const boxes = teamList.map((team) => {
    const input = h("input", { type: "checkbox", class: "checkbox", id: uid("team"), value: team.id,
      checked: selected.includes(team.id) });
    return h("span", { class: "check" }, input, h("label", { for: input.id, text: team.name }));
  });
  // A team the user has that is no longer in the list keeps its box, under its id.
  for (const id of selected.filter((id) => !teamList.some((team) => team.id === id))) {
    const input = h("input", { type: "checkbox", class: "checkbox", id: uid("team"), value: id, checked: true });
    boxes.push(h("span", { class: "check" }, input, h("label", { for: input.id, text: id })));
  }
  const errorEl = h("p", { class: "field__error", hidden: true });
  const wrapper = h("fieldset", { class: "field fieldset" }, h("legend", { class: "field__label", text: t("admin.teams") }),
    boxes.length ? h("div", { class: "checks" }, boxes) : h("p", { class: "field__hint", text: t("admin.noTeams") }), errorEl);
  wrapper.read = () => [...wrapper.querySelectorAll("input[type=checkbox]:checked")].map((input) => input.value);
  wrapper.setError = (message) => {
    errorEl.textContent = message || "";
    errorEl.hidden = !message;
  };
  return wrapper;
}

function orgSelect(orgs, value) {
  return h("select", { class: "select" }, h("option", { value: "", text: t("admin.chooseOrg") }),
    orgs.map((o) => h("option", { value: o.id, text: o.name, selected: o.id === value })));
}

/** Says a refusal of a user edit beside the field it is about; returns the form's message. */
function userError(error, fields) {
  if (error.code === "unknown_team") {
    fields.teams.setError(t("admin.unknownTeam"));
    return t("admin.unknownTeam");
  }
  if (error.code === "unknown_org") {
    fields.org.setError(t("admin.chooseOrg"));
    return t("admin.unknownOrg");
  }
  if (error.code === "own_role") return t("admin.ownRole");
  return errorText(error);
}

/** The edit form of an existing user: only what the admin changed is sent. */
function userEditor(user, { orgs, teamList, onSaved, onCancel }) {
  const name = h("input", { class: "input", required: true, maxlength: 120, value: user.name });
  const language = h("select", { class: "select" }, Object.entries(LANGUAGES).map(([code, label]) =>
    h("option", { value: code, text: label, selected: code === user.language })));
  const role = h("select", { class: "select", disabled: user.id === state.user.id }, ["customer", "agent", "admin"].map((r) =>
    h("option", { value: r, text: t(`role.${r}`), selected: r === user.role })));
  const org = orgSelect(orgs, user.org_id);
  const orgView = h("input", { type: "checkbox", class: "checkbox", id: uid("ov"), checked: user.org_view });
  const fields = {
    name: field(t("admin.name"), name), language: field(t("admin.language"), language),
    role: field(t("admin.role"), role), org: field(t("admin.org"), org),
    orgView: h("div", { class: "field field--check" }, orgView, h("label", { for: orgView.id, text: t("admin.orgViewUser") })),
    teams: teamChecks(teamList, user.team_ids),
  };
  const sync = () => {
    const customer = role.value === "customer";
    fields.org.hidden = !customer;
    fields.orgView.hidden = !customer;
    fields.teams.hidden = customer;
  };
  role.addEventListener("change", sync);
  sync();
  const status = h("div", { class: "form-status", "aria-live": "polite" });
  const save = h("button", { type: "submit", class: "btn btn--primary", text: t("common.save") });
  const cancel = h("button", { type: "button", class: "btn btn--ghost", text: t("common.cancel") });
  cancel.addEventListener("click", onCancel);
  const form = h("form", { class: "form user-edit", "aria-label": t("admin.editUserTitle", { name: user.name }) },
    h("div", { class: "grid grid--3" }, fields.name, fields.language, fields.role),
    h("div", { class: "grid grid--2" }, fields.org, fields.orgView), fields.teams, status,
    h("div", { class: "form__actions" }, save, cancel));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    for (const wrapper of [fields.name, fields.org, fields.teams]) wrapper.setError("");
    status.replaceChildren();
    const customer = role.value === "customer";
    const wanted = {
      name: name.value.trim(), language: language.value, role: role.value,
      org_id: customer ? org.value || null : null, org_view: customer && orgView.checked,
      team_ids: customer ? [] : fields.teams.read().sort(),
    };
    const changes = {};
    for (const [key, value] of Object.entries(wanted)) {
      if (JSON.stringify(value) !== JSON.stringify(user[key] ?? null)) changes[key] = value;
    }
    // Leaving an organization is the role's doing: the server drops it with the role.
    if (changes.org_id === null) delete changes.org_id;
    if (customer && !org.value) {
      fields.org.setError(t("admin.chooseOrg"));
      return;
    }
    if (!Object.keys(changes).length) {
      status.replaceChildren(notice("info", t("admin.noChanges")));
      return;
    }
    save.disabled = true;
    try {
      const updated = await patch(`/api/admin/users/${encodeURIComponent(user.id)}`, changes);
      onSaved(updated.user);
    } catch (error) {
      status.replaceChildren(notice("error", userError(error, fields)));
    } finally {
      save.disabled = false;
    }
  });
  return form;
}

export async function users({ main, query }) {
  const [orgs, teamList] = await Promise.all([
    allOrgs(), get("/api/admin/teams").then((page) => page.items).catch(() => []),
  ]);
  const orgNames = new Map(orgs.map((org) => [org.id, org.name]));
  let cursor = null;
  const scope = h("select", { class: "select select--small", id: uid("scope") },
    h("option", { value: "", text: t("admin.staff") }),
    orgs.map((org) => h("option", { value: org.id, text: org.name })));
  scope.value = query.get("org") || "";
  const q = h("input", { class: "input input--search", type: "search", id: uid("uq"), placeholder: t("admin.searchStaff") });
  const tbody = h("tbody", {});
  const status = h("div", { class: "form-status", "aria-live": "polite" });
  const more = loadMoreButton(() => load(false));

  const row = (user) => {
    const toggle = h("button", { type: "button", class: `btn btn--small ${user.status === "disabled" ? "btn--secondary" : "btn--danger-ghost"}`,
      text: user.status === "disabled" ? t("admin.enable") : t("admin.disable") });
    const edit = h("button", { type: "button", class: "btn btn--small btn--ghost", text: t("admin.editUser"),
      "aria-label": t("admin.editUserTitle", { name: user.name }) });
    const teamNames = (user.team_ids || []).map((id) => (teamList.find((team) => team.id === id) || { name: id }).name);
    const tr = h("tr", { dataset: { userId: user.id } },
      h("td", { "data-label": t("admin.name") }, h("strong", { text: user.name })),
      h("td", { "data-label": t("auth.email"), class: "muted", text: user.email }),
      h("td", { "data-label": t("admin.role") }, h("span", { class: "chip", text: t(`role.${user.role}`) })),
      // Staff have no organization: their teams show there instead. A dash says "none" on a
      // wide table; the stacked rows of a narrow screen leave the cell out (admin-cell--empty).
      user.role === "customer"
        ? h("td", { "data-label": t("admin.org"), text: orgNames.get(user.org_id) || user.org_id || "—" })
        : h("td", { "data-label": t("admin.teams"), class: teamNames.length ? "muted" : "admin-cell--empty",
          text: teamNames.length ? teamNames.join(", ") : "—" }),
      h("td", { "data-label": t("admin.status") },
        h("span", { class: `status status--${user.status === "active" ? "success" : "neutral"}` },
          h("span", { class: "status__dot", "aria-hidden": "true" }), t(`userStatus.${user.status}`))),
      h("td", { class: "col-actions" }, edit, user.id === state.user.id ? null : toggle));
    edit.addEventListener("click", () => {
      const open = tr.nextElementSibling && tr.nextElementSibling.classList.contains("user-edit-row");
      if (open) {
        tr.nextElementSibling.remove();
        return;
      }
      const editorRow = h("tr", { class: "user-edit-row" }, h("td", { colspan: "6" }, userEditor(user, {
        orgs, teamList,
        onCancel: () => editorRow.remove(),
        onSaved: (updated) => {
          editorRow.remove();
          tr.replaceWith(row(updated));
          status.replaceChildren(notice("success", t("admin.userSaved", { name: updated.name })));
        },
      })));
      tr.after(editorRow);
      editorRow.querySelector("input").focus();
    });
    toggle.addEventListener("click", async () => {
      try {
        const updated = await patch(`/api/admin/users/${encodeURIComponent(user.id)}`, {
          status: user.status === "disabled" ? "active" : "disabled",
        });
        tr.replaceWith(row(updated.user));
        status.replaceChildren(notice("success", updated.user.status === "disabled"
          ? t("admin.disabled", { name: updated.user.name }) : t("admin.enabled", { name: updated.user.name })));
      } catch (error) {
        status.replaceChildren(notice("error", errorText(error)));
      }
    });
    return tr;
  };

  async function load(reset) {
    more.busy(true);
    try {
      const page = await get("/api/admin/users", {
        org_id: scope.value || null, q: scope.value ? null : q.value.trim(), limit: 50, cursor: reset ? null : cursor,
      });
      if (reset) clear(tbody);
      for (const user of page.items) tbody.append(row(user));
      if (!tbody.children.length) tbody.append(h("tr", {}, h("td", { colspan: "6" }, emptyState(t("admin.noUsers")))));
      cursor = page.next_cursor;
      more.show(Boolean(cursor));
    } catch (error) {
      status.replaceChildren(notice("error", errorText(error)));
    } finally {
      more.busy(false);
    }
  }
  scope.addEventListener("change", () => {
    q.disabled = Boolean(scope.value);
    history.replaceState(null, "", scope.value ? `/admin/users?org=${encodeURIComponent(scope.value)}` : "/admin/users");
    load(true);
  });
  q.disabled = Boolean(scope.value);
  let timer = null;
  q.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(() => load(true), 250);
  });

  // Creating a user
  const email = h("input", { class: "input", type: "email", required: true, maxlength: 254 });
  const name = h("input", { class: "input", required: true, maxlength: 120 });
  const role = h("select", { class: "select" }, ["customer", "agent", "admin"].map((r) =>
    h("option", { value: r, text: t(`role.${r}`) })));
  const org = orgSelect(orgs, scope.value);
  const orgView = h("input", { type: "checkbox", class: "checkbox", id: uid("ov") });
  const language = h("select", { class: "select" }, Object.entries(LANGUAGES).map(([code, label]) =>
    h("option", { value: code, text: label })));
  const deliveryName = uid("delivery");
  const delivery = [["invite", t("admin.deliveryInvite")], ["password", t("admin.deliveryPassword")]].map(([value, label], i) => {
    const input = h("input", { type: "radio", name: deliveryName, value, id: `${deliveryName}-${value}`, checked: i === 0 });
    return h("span", { class: "check" }, input, h("label", { for: input.id, text: label }));
  });
  const orgField = field(t("admin.org"), org);
  const orgViewField = h("div", { class: "field field--check" }, orgView, h("label", { for: orgView.id, text: t("admin.orgViewUser") }));
  const teamsField = teamChecks(teamList);
  const syncRole = () => {
    const customer = role.value === "customer";
    orgField.hidden = !customer;
    orgViewField.hidden = !customer;
    teamsField.hidden = customer;
    org.required = customer;
  };
  role.addEventListener("change", syncRole);
  syncRole();
  const createStatus = h("div", { class: "form-status", "aria-live": "polite" });
  const createForm = h("form", { class: "form" },
    h("div", { class: "grid grid--2" }, field(t("auth.email"), email), field(t("admin.name"), name)),
    h("div", { class: "grid grid--2" }, field(t("admin.role"), role), field(t("admin.language"), language)),
    orgField, orgViewField, teamsField,
    h("fieldset", { class: "field fieldset" }, h("legend", { class: "field__label", text: t("admin.delivery") }),
      h("div", { class: "checks" }, delivery)),
    createStatus,
    h("div", { class: "form__actions" }, h("button", { type: "submit", class: "btn btn--primary", text: t("admin.createUser") })));
  createForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    createStatus.replaceChildren();
    teamsField.setError("");
    const customer = role.value === "customer";
    try {
      const created = await post("/api/admin/users", {
        email: email.value.trim(), name: name.value.trim(), role: role.value,
        org_id: customer ? org.value || null : null, org_view: customer && orgView.checked,
        team_ids: customer ? [] : teamsField.read(),
        language: language.value,
        delivery: createForm.querySelector(`input[name="${deliveryName}"]:checked`).value,
      });
      createStatus.replaceChildren(notice("success", t("admin.userCreated", { email: created.user.email })));
      createForm.reset();
      syncRole();
      load(true);
    } catch (error) {
      createStatus.replaceChildren(notice("error", userError(error, { teams: teamsField, org: orgField })));
    }
  });

  append(main, adminPage("users", t("admin.users"), t("admin.usersLead"),
    h("details", { class: "card disclosure disclosure--card" },
      h("summary", {}, icon("plus"), t("admin.addUser")), createForm),
    h("div", { class: "toolbar" },
      h("div", { class: "toolbar__group" },
        h("label", { for: scope.id, class: "toolbar__label", text: t("admin.show") }), scope),
      h("div", { class: "toolbar__group toolbar__group--grow search" },
        h("label", { for: q.id, class: "sr-only", text: t("admin.searchStaff") }), icon("search"), q)),
    status,
    h("div", { class: "card card--flush" },
      h("table", { class: "table table--users" },
        h("caption", { class: "sr-only", text: t("admin.users") }),
        h("thead", {}, h("tr", {},
          [t("admin.name"), t("auth.email"), t("admin.role"), t("admin.orgOrTeams"), t("admin.status"), ""].map((label) =>
            h("th", { scope: "col", text: label })))),
        tbody)),
    h("div", { class: "list-footer" }, more.element)));
  await load(true);
}

// ---------------------------------------------------------------------------------------------
// Organizations

/** A refusal of an organization's name, in the admin's language where the page knows it. */
function orgError(error) {
  return error.code === "org_name_taken" ? t("admin.orgNameTaken") : errorText(error);
}

export async function orgs({ main }) {
  let cursor = null;
  const list = h("ul", { class: "org-list" });
  const status = h("div", { class: "form-status", "aria-live": "polite" });
  const more = loadMoreButton(() => load());
  const item = (org) => {
    const rename = h("button", { type: "button", class: "btn btn--ghost btn--small", text: t("admin.renameOrg"),
      "aria-label": t("admin.renameOrgTitle", { name: org.name }) });
    const li = h("li", { class: "org-list__item" },
      h("span", { class: "org-list__name", text: org.name }),
      h("span", { class: "muted org-list__id", text: org.id }),
      rename,
      h("a", { class: "btn btn--ghost btn--small", href: `/admin/users?org=${encodeURIComponent(org.id)}`, text: t("admin.orgUsers") }));
    rename.addEventListener("click", () => {
      const input = h("input", { class: "input", required: true, maxlength: 120, value: org.name });
      const wrapper = field(t("admin.orgNewName", { name: org.name }), input);
      const cancel = h("button", { type: "button", class: "btn btn--ghost btn--small", text: t("common.cancel") });
      const form = h("form", { class: "inline-form" }, wrapper,
        h("button", { type: "submit", class: "btn btn--primary btn--small", text: t("common.save") }), cancel);
      const editing = h("li", { class: "org-list__item" }, form);
      cancel.addEventListener("click", () => editing.replaceWith(li));
      form.addEventListener("submit", async (event) => {
        event.preventDefault();
        wrapper.setError("");
        try {
          const renamed = await patch(`/api/admin/orgs/${encodeURIComponent(org.id)}`, { name: input.value.trim() });
          editing.replaceWith(item(renamed.org));
          status.replaceChildren(notice("success", t("admin.orgRenamed", { name: renamed.org.name })));
        } catch (error) {
          wrapper.setError(orgError(error));
        }
      });
      li.replaceWith(editing);
      input.focus();
    });
    return li;
  };
  async function load() {
    more.busy(true);
    try {
      const page = await get("/api/admin/orgs", { limit: 50, cursor });
      for (const org of page.items) list.append(item(org));
      if (!list.children.length) list.append(h("li", {}, emptyState(t("admin.noOrgs"))));
      cursor = page.next_cursor;
      more.show(Boolean(cursor));
    } catch (error) {
      status.replaceChildren(notice("error", errorText(error)));
    } finally {
      more.busy(false);
    }
  }
  const name = h("input", { class: "input", required: true, maxlength: 120 });
  const form = h("form", { class: "inline-form" }, field(t("admin.orgName"), name),
    h("button", { type: "submit", class: "btn btn--primary", text: t("admin.createOrg") }));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      const created = await post("/api/admin/orgs", { name: name.value.trim() });
      list.prepend(item(created.org));
      const empty = list.querySelector(".empty");
      if (empty) empty.closest("li").remove();
      name.value = "";
      status.replaceChildren(notice("success", t("admin.orgCreated", { name: created.org.name })));
    } catch (error) {
      status.replaceChildren(notice("error", orgError(error)));
    }
  });
  append(main, adminPage("orgs", t("admin.orgs"), t("admin.orgsLead"),
    h("div", { class: "card" }, form), status,
    h("div", { class: "card card--flush" }, list),
    h("div", { class: "list-footer" }, more.element)));
  await load();
}

// ---------------------------------------------------------------------------------------------
// Teams: topics route conversations to a team; while nobody is assigned, support alerts go to
// the team's address.

const TEAM_FIELD_ERRORS = { id: "admin.teamIdHint", email: "error.invalid_email" };

/** Puts a refusal beside the fields it names; returns the message for the form's status. */
function teamError(error, fields) {
  const details = Array.isArray(error.details) ? error.details : [];
  for (const detail of details) {
    const wrapper = fields[detail.field];
    if (wrapper) wrapper.setError(TEAM_FIELD_ERRORS[detail.field] ? t(TEAM_FIELD_ERRORS[detail.field]) : detail.message);
  }
  if (error.code === "conflict" && fields.id) return t("admin.teamExists");
  if (error.code === "own_address" && fields.email) {
    fields.email.setError(t("error.own_address"));
    return t("admin.teamInvalid");
  }
  return details.length ? t("admin.teamInvalid") : errorText(error);
}

function teamEmailInput(value) {
  return h("input", { class: "input", type: "email", maxlength: 254, value: value || "",
    placeholder: t("admin.teamNoAddress") });
}

function teamCard(team) {
  const titleId = uid("team");
  const status = h("div", { class: "form-status", "aria-live": "polite" });
  const title = h("h2", { class: "card__title", id: titleId, text: team.name });
  const name = h("input", { class: "input", required: true, maxlength: 80, value: team.name });
  const email = teamEmailInput(team.email);
  const fields = { name: field(t("admin.name"), name), email: field(t("admin.teamEmail"), email) };
  const topics = h("span", { text: team.topics.length ? team.topics.join(", ") : t("admin.teamNoTopics") });
  const save = h("button", { type: "submit", class: "btn btn--secondary", text: t("common.save") });
  const form = h("form", { class: "inline-form" }, fields.name, fields.email, save);
  let current = team;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    for (const wrapper of Object.values(fields)) wrapper.setError("");
    const changes = {};
    if (name.value.trim() !== current.name) changes.name = name.value.trim();
    const address = email.value.trim() || null;
    if (address !== (current.email || null)) changes.email = address;
    if (!Object.keys(changes).length) {
      status.replaceChildren(notice("info", t("admin.noChanges")));
      return;
    }
    save.disabled = true;
    try {
      current = { ...current, ...(await patch(`/api/admin/teams/${encodeURIComponent(current.id)}`, changes)).team };
      title.textContent = current.name;
      name.value = current.name;
      email.value = current.email || "";
      status.replaceChildren(notice("success", t("admin.teamSaved", { name: current.name })));
    } catch (error) {
      status.replaceChildren(notice("error", teamError(error, fields)));
    } finally {
      save.disabled = false;
    }
  });
  return h("section", { class: "card", "aria-labelledby": titleId, dataset: { teamId: team.id } },
    title,
    h("div", { class: "form" },
      h("p", { class: "muted" }, h("code", { text: team.id }), " · ", t("admin.topics"), ": ", topics),
      form, status));
}

export async function teams({ main }) {
  const list = h("div", { class: "grid" });
  const id = h("input", { class: "input", required: true, maxlength: 40, pattern: "[a-z0-9][a-z0-9_\\-]*" });
  const name = h("input", { class: "input", required: true, maxlength: 80 });
  const email = teamEmailInput("");
  const fields = {
    id: field(t("admin.teamId"), id, { hint: t("admin.teamIdHint") }),
    name: field(t("admin.name"), name),
    email: field(t("admin.teamEmail"), email, { hint: t("admin.teamEmailHint") }),
  };
  const createStatus = h("div", { class: "form-status", "aria-live": "polite" });
  const form = h("form", { class: "form" },
    h("div", { class: "grid grid--3" }, fields.id, fields.name, fields.email),
    createStatus,
    h("div", { class: "form__actions" }, h("button", { type: "submit", class: "btn btn--primary", text: t("admin.createTeam") })));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    for (const wrapper of Object.values(fields)) wrapper.setError("");
    createStatus.replaceChildren();
    try {
      const created = await post("/api/admin/teams", {
        id: id.value.trim(), name: name.value.trim(), email: email.value.trim() || null,
      });
      list.querySelector(".empty")?.remove();
      list.append(teamCard(created.team));
      form.reset();
      createStatus.replaceChildren(notice("success", t("admin.teamCreated", { name: created.team.name })));
    } catch (error) {
      createStatus.replaceChildren(notice("error", teamError(error, fields)));
    }
  });
  const { items } = await get("/api/admin/teams");
  for (const team of items) list.append(teamCard(team));
  if (!items.length) list.append(emptyState(t("admin.noTeams")));
  append(main, adminPage("teams", t("admin.teams"), t("admin.teamsLead"),
    h("details", { class: "card disclosure disclosure--card" },
      h("summary", {}, icon("plus"), t("admin.addTeam")), form),
    list));
}

// ---------------------------------------------------------------------------------------------
// Audit log

/** An action's name in the admin's language; a code this page does not know yet shows as is. */
function auditAction(action) {
  const key = `admin.auditAction.${action}`;
  return has(key) ? t(key) : action;
}

function auditOutcome(outcome) {
  const key = `admin.auditOutcome.${outcome}`;
  return has(key) ? t(key) : outcome;
}

/** A detail's value as short text: lists joined, roles and known codes in words. */
function auditValue(key, value) {
  if (value == null || value === "") return "—";
  if (Array.isArray(value)) return value.length ? value.map((v) => auditValue(key, v)).join(", ") : "—";
  if (typeof value === "object") return Object.entries(value).map(([k, v]) => `${k}: ${auditValue(k, v)}`).join(", ");
  if (key === "role" && has(`role.${value}`)) return t(`role.${value}`);
  return String(value);
}

// What the filters offer: the actions of each kind the server records (services/audit.py:
// kind_of files every `auth.*` action as a sign-in, everything else as a change).
const AUDIT_ACTIONS = {
  change: ["settings.update", "user.create", "user.update", "user.disable", "org.create", "org.rename",
    "team.create", "team.update", "inbound.retry", "inbound.release", "inbound.discard", "inbound.force",
    "suppression.lift", "access.denied", "attachment.rejected"],
  signin: ["auth.login", "auth.logout", "auth.lockout", "auth.password_change", "auth.reset",
    "auth.reset_request", "auth.register", "auth.verify_email"],
};

/** A changed field's name in words: the audit's own label, else the setting's name. */
function auditField(path) {
  const key = `admin.auditDetail.${path}`;
  if (has(key)) return t(key);
  const [first, ...rest] = path.split(".");
  return [humanize(first), ...rest].join(" · ");
}

/** Before → after, one line per changed field (settings down to a mail override's subject). */
function auditChanges(changes) {
  return h("ul", { class: "audit-changes" }, changes.map((change) => h("li", {
    text: change.more ? t("admin.auditMoreChanges", { count: change.more }) : t("admin.auditChange", {
      field: auditField(change.field),
      before: auditValue(change.field, change.before), after: auditValue(change.field, change.after),
    }),
  })));
}

function auditDetails(details) {
  if (!details || typeof details !== "object") return null;
  return h("dl", { class: "audit-details" }, Object.entries(details).map(([key, value]) => {
    const labelKey = `admin.auditDetail.${key}`;
    const shown = key === "changes" && Array.isArray(value) ? auditChanges(value) : auditValue(key, value);
    return h("div", { class: "audit-details__item" },
      h("dt", { text: has(labelKey) ? t(labelKey) : key }), h("dd", {}, shown));
  }));
}

/** Who a target is, in words where the entry or a look-up says it; else its code. */
function auditTarget(entry, userName) {
  const target = entry.target || "";
  if (!target) return null;
  if (target === "portal") return t("admin.auditTarget.portal");
  if (target.startsWith("ticket:")) return t("admin.auditTarget.ticket", { id: target.slice(7, 15) });
  if (target.startsWith("inbound:")) return t("admin.auditTarget.inbound");
  if (/^(org|team)\./.test(entry.action) && entry.details && entry.details.name) return entry.details.name;
  // A sign-in, a reset and the like name the account the actor's email already shows.
  if (entry.action.startsWith("auth.") && (target === entry.actor_id || entry.actor_email)) {
    return userName(target) || entry.actor_email || target;
  }
  if (entry.action.startsWith("user.")) return userName(target) || target;
  return target;
}

export async function audit({ main, query }) {
  let cursor = null;
  // Changes first: sign-ins outnumber them many times over. The filters live in the address,
  // so a filtered log can be reloaded or shared.
  const filters = {
    kind: ["change", "signin", "all"].includes(query.get("kind")) ? query.get("kind") : "change",
    action: query.get("action") || "", actor: query.get("actor") || "",
    since: query.get("since") || "", until: query.get("until") || "",
  };
  const tbody = h("tbody", {});
  const status = h("div", { class: "form-status", "aria-live": "polite" });
  const more = loadMoreButton(() => load());
  more.element.textContent = t("admin.more");
  // Users named by id are looked up once each, and their cells filled in when known.
  const people = new Map();
  const waiting = new Map();
  const userName = (id) => people.get(id) || null;
  const lookUp = (id, cell) => {
    if (people.has(id)) return;
    if (!waiting.has(id)) {
      waiting.set(id, []);
      get(`/api/admin/users/${encodeURIComponent(id)}`, null, { quiet: true }).then(({ user }) => {
        people.set(id, user.name && user.email ? `${user.name} (${user.email})` : user.email || user.name || id);
        for (const el of waiting.get(id)) el.textContent = people.get(id);
      }).catch(() => {});
    }
    waiting.get(id).push(cell);
  };
  // Filters changed while a page was on its way make it stale: only the latest request's
  // answer is shown.
  let generation = 0;
  async function load() {
    const mine = generation;
    more.busy(true);
    try {
      const page = await get("/api/admin/audit", {
        limit: 50, cursor, kind: filters.kind === "all" ? null : filters.kind, action: filters.action || null,
        actor: filters.actor || null, since: filters.since || null, until: filters.until || null,
      });
      if (mine !== generation) return;
      for (const entry of page.items) {
        const success = entry.outcome === "success";
        const target = auditTarget(entry, userName);
        const targetCell = h("td", { "data-label": t("admin.target"), class: "muted break", text: target || "—" });
        if (entry.target && target === entry.target && /^user\./.test(entry.action)) lookUp(entry.target, targetCell);
        const actor = entry.actor_email || (entry.actor_id ? userName(entry.actor_id) || entry.actor_id : null);
        const actorCell = h("td", { "data-label": t("admin.actor"), class: "break", text: actor || t("admin.auditNobody") });
        if (!entry.actor_email && entry.actor_id && !userName(entry.actor_id)) lookUp(entry.actor_id, actorCell);
        tbody.append(h("tr", { class: entry.outcome && !success ? "is-flagged" : null },
          h("td", { "data-label": t("admin.when"), class: "nowrap", text: formatDate(entry.at) }),
          h("td", { "data-label": t("admin.action") },
            h("span", { class: "audit-action", title: entry.action, text: auditAction(entry.action) })),
          h("td", { "data-label": t("admin.outcome") },
            h("span", { class: `status status--${success ? "success" : "warning"}` },
              h("span", { class: "status__dot", "aria-hidden": "true" }), entry.outcome ? auditOutcome(entry.outcome) : "")),
          actorCell,
          targetCell,
          h("td", { "data-label": t("admin.source"), class: "muted", text: entry.source_ip || "—" }),
          h("td", { "data-label": t("admin.details"), class: `muted break${entry.details ? "" : " admin-cell--empty"}` },
            auditDetails(entry.details) || "—")));
      }
      if (!tbody.children.length) tbody.append(h("tr", {}, h("td", { colspan: "7" }, emptyState(t("admin.noAudit")))));
      cursor = page.next_cursor;
      more.show(Boolean(cursor));
    } catch (error) {
      if (mine === generation) status.replaceChildren(notice("error", errorText(error)));
    } finally {
      more.busy(false);
    }
  }
  const action = h("select", { class: "select select--small", id: uid("action") });
  const actor = h("input", { class: "input input--small", type: "email", id: uid("actor"), maxlength: 254,
    value: filters.actor, placeholder: t("admin.auditActorHint") });
  const since = h("input", { class: "input input--small", type: "date", id: uid("since"), value: filters.since });
  const until = h("input", { class: "input input--small", type: "date", id: uid("until"), value: filters.until });
  const fillActions = () => {
    const names = filters.kind === "all" ? [...AUDIT_ACTIONS.change, ...AUDIT_ACTIONS.signin] : AUDIT_ACTIONS[filters.kind];
    if (!names.includes(filters.action)) filters.action = "";
    append(clear(action), h("option", { value: "", text: t("admin.auditAnyAction") }),
      names.map((name) => h("option", { value: name, text: auditAction(name) })));
    action.value = filters.action;
    // A person's entries are filed by kind (data/audit.py): "everything" needs an action.
    actor.disabled = filters.kind === "all" && !filters.action;
    if (actor.disabled) actor.value = filters.actor = "";
  };
  const reload = () => {
    const params = new URLSearchParams(Object.entries(filters).filter(([key, value]) => value && !(key === "kind" && value === "change")));
    history.replaceState(null, "", `/admin/audit${params.toString() ? `?${params}` : ""}`);
    cursor = null;
    generation += 1;
    clear(tbody);
    status.replaceChildren();
    load();
  };
  const kind = segmented(t("admin.auditKind"), [["change", t("admin.auditKind.change")],
    ["signin", t("admin.auditKind.signin")], ["all", t("admin.auditKind.all")]], filters.kind, (value) => {
    filters.kind = value;
    fillActions();
    reload();
  });
  fillActions();
  action.addEventListener("change", () => {
    filters.action = action.value;
    fillActions();
    reload();
  });
  actor.addEventListener("change", () => {
    filters.actor = actor.value.trim();
    reload();
  });
  for (const [input, key] of [[since, "since"], [until, "until"]]) {
    input.addEventListener("change", () => {
      filters[key] = input.value;
      reload();
    });
  }
  const clearFilters = h("button", { type: "button", class: "btn btn--ghost btn--small", text: t("admin.auditClear") });
  clearFilters.addEventListener("click", () => {
    Object.assign(filters, { action: "", actor: "", since: "", until: "" });
    actor.value = since.value = until.value = "";
    fillActions();
    reload();
  });
  const labelled = (input, label) => h("div", { class: "toolbar__group" },
    h("label", { for: input.id, class: "toolbar__label", text: label }), input);
  append(main, adminPage("audit", t("admin.audit"), t("admin.auditLead"),
    h("div", { class: "toolbar audit-filters" },
      h("div", { class: "toolbar__group" }, kind),
      labelled(action, t("admin.action")), labelled(actor, t("admin.actor")),
      labelled(since, t("admin.auditSince")), labelled(until, t("admin.auditUntil")), clearFilters),
    status,
    h("div", { class: "card card--flush table-scroll" },
      h("table", { class: "table table--audit" },
        h("caption", { class: "sr-only", text: t("admin.audit") }),
        h("thead", {}, h("tr", {}, [t("admin.when"), t("admin.action"), t("admin.outcome"), t("admin.actor"),
          t("admin.target"), t("admin.source"), t("admin.details")].map((label) => h("th", { scope: "col", text: label })))),
        tbody)),
    h("div", { class: "list-footer" }, more.element)));
  await load();
}
