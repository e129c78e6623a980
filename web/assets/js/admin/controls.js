// @ts-check
// The settings page's controls. Each is built from the settings as loaded and registered under
// its top-level key with a way to read its value back: the page compares what they read with
// what was shown, and sends only what differs. A refusal is shown beside the control it names.

import { h, icon, field, uid } from "../dom.js";
import { t } from "../i18n.js";
import { humanize } from "./page.js";

/** A registry of controls: each knows its top-level settings key and how to read its value.
 * @returns {Registry} */
export function controls() {
  /** @type {{key: string, read: () => unknown}[]} */
  const list = [];
  /** @type {Map<string, ControlElement>} */
  const fields = new Map();
  return {
    add(key, read, wrapper) {
      list.push({ key, read });
      if (wrapper) fields.set(key, wrapper);
      return wrapper;
    },
    values() {
      /** @type {Record<string, unknown>} */
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

/** `wrapper` with setError(message): the message in `errorEl`, shown only when there is one.
 * @template {HTMLElement} E @param {E} wrapper @param {HTMLElement} errorEl */
function showsErrors(wrapper, errorEl) {
  return Object.assign(wrapper, {
    setError(/** @type {string | undefined} */ message) {
      errorEl.textContent = message || "";
      errorEl.hidden = !message;
    },
  });
}

/** @typedef {{multiline?: boolean, rows?: number, maxlength?: number, type?: string, hint?: string}} TextOptions */

/** @param {Registry} registry @param {Settings} settings @param {string} key @param {string} label
 * @param {TextOptions} [options] */
export function textControl(registry, settings, key, label, options = {}) {
  const input = options.multiline
    ? h("textarea", { class: "textarea", rows: options.rows, maxlength: options.maxlength })
    : h("input", { class: "input", value: settings[key] ?? "", maxlength: options.maxlength, type: options.type || "text" });
  if (options.multiline) input.value = settings[key] ?? "";
  return registry.add(key, () => input.value, field(label, input, { hint: options.hint }));
}

// The bounds the server checks (services/settings.py), so the field says them before a save.
/** @type {Record<string, {min: number, max: number}>} */
const NUMBER_BOUNDS = { idle_timeout_minutes: { min: 5, max: 1440 } };

/** @param {Registry} registry @param {Settings} settings @param {string} key @param {string} label @param {string} [hint] */
export function numberControl(registry, settings, key, label, hint) {
  const input = h("input", { class: "input input--number", type: "number", value: settings[key], step: 1,
    ...(NUMBER_BOUNDS[key] || {}) });
  return registry.add(key, () => (input.value === "" ? null : Number(input.value)), field(label, input, { hint }));
}

/** @param {Registry} registry @param {Settings} settings @param {string} key @param {string} label @param {string} [hint] */
export function checkControl(registry, settings, key, label, hint) {
  const input = h("input", { type: "checkbox", class: "checkbox", checked: Boolean(settings[key]), id: uid("c") });
  const errorEl = h("p", { class: "field__error", hidden: true });
  const wrapper = h("div", { class: "field field--check" },
    input, h("label", { for: input.id, text: label }),
    hint ? h("p", { class: "field__hint", text: hint }) : null, errorEl);
  return registry.add(key, () => input.checked, showsErrors(wrapper, errorEl));
}

/** @param {Registry} registry @param {Settings} settings @param {string} key @param {string} label
 * @param {Choice[]} options @param {string} [hint] */
export function selectControl(registry, settings, key, label, options, hint) {
  const select = choiceSelect(options, settings[key]);
  return registry.add(key, () => select.value, field(label, select, { hint }));
}

/** @param {Registry} registry @param {Settings} settings @param {string} key @param {string} label
 * @param {() => void} onChange */
export function colourControl(registry, settings, key, label, onChange) {
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
  wrapper.querySelector(".field__label")?.after(h("div", { class: "colour" }, picker, text));
  return registry.add(key, () => text.value.trim(), wrapper);
}

/** A select of `options` ([value, text]) that keeps a saved value no longer among them, so
 * saving says what is wrong instead of silently changing it.
 * @param {Choice[]} options @param {string | null | undefined} value @param {Record<string, string>} [attrs] */
function choiceSelect(options, value, attrs = {}) {
  const select = h("select", { class: "select", ...attrs },
    options.map(([optionValue, text]) => h("option", { value: optionValue, text, selected: value === optionValue })));
  if (value != null && !options.some(([optionValue]) => optionValue === value)) {
    select.append(h("option", { value, text: value, selected: true }));
  }
  return select;
}

/** @typedef {[string, string, Record<string, string | number>, (Choice[] | null)?]} Column */

/** A row's value under a column's key; "names.fr" is `names.fr` (a topic's name in French).
 * @param {Record<string, any>} value @param {string} name @returns {string | undefined} */
function cellValue(value, name) {
  const [head, sub] = name.split(".");
  return sub ? (value[head] || {})[sub] : value[head];
}

/** A row read back: a nested column ("names.fr") goes in its map, and only when filled in (an
 * empty translation is none); the map itself is always sent, so emptying one removes it.
 * @param {[string, HTMLInputElement | HTMLSelectElement, HTMLElement][]} inputs */
function rowValue(inputs) {
  /** @type {Record<string, any>} */
  const value = {};
  for (const [name, input] of inputs) {
    const [head, sub] = name.split(".");
    const text = input.value.trim();
    if (!sub) value[head] = text;
    else value[head] = { ...(value[head] || {}), ...(text ? { [sub]: text } : {}) };
  }
  return value;
}

/** Rows of small inputs (topics, banner links); `columns` are [key, label, attrs, choices]:
 * with `choices` ([value, text] pairs, the first the default) the cell is a select. `wrap`: the
 * cells wrap onto more lines (a topic and its name in each language).
 * @param {Registry} registry @param {Settings} settings @param {string} key @param {string} label
 * @param {Column[]} columns @param {string} addLabel @param {{hint?: string, wrap?: boolean}} [options] */
export function rowsControl(registry, settings, key, label, columns, addLabel, options = {}) {
  const body = h("div", { class: options.wrap ? "rows rows--wrap" : "rows" });
  /** @typedef {{row: HTMLElement, inputs: [string, HTMLInputElement | HTMLSelectElement, HTMLElement][]}} Row */
  /** @type {Row[]} */
  const rows = [];
  const addRow = (/** @type {Record<string, any>} */ value = {}) => {
    /** @type {Row["inputs"]} */
    const inputs = columns.map(([name, text, attrs, choices]) => {
      const input = choices
        ? choiceSelect(choices, cellValue(value, name) ?? (choices.length ? choices[0][0] : null), { class: "select select--small" })
        : h("input", { class: "input input--small", value: cellValue(value, name) ?? "", ...attrs });
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
    options.hint ? h("p", { class: "field__hint", text: options.hint }) : null, body, add, errorEl);
  return registry.add(key, () => rows.map(({ inputs }) => rowValue(inputs)), showsErrors(wrapper, errorEl));
}

/** @param {Registry} registry @param {Settings} settings @param {string} key @param {string} label
 * @param {Choice[]} options */
export function checkboxesControl(registry, settings, key, label, options) {
  /** @type {[HTMLInputElement, HTMLElement][]} */
  const boxes = options.map(([value, text]) => {
    const input = h("input", { type: "checkbox", class: "checkbox", value, id: uid("cb"),
      checked: (settings[key] || []).includes(value) });
    return [input, h("span", { class: "check" }, input, h("label", { for: input.id, text }))];
  });
  const errorEl = h("p", { class: "field__error", hidden: true });
  const wrapper = h("fieldset", { class: "field fieldset" }, h("legend", { class: "field__label", text: label }),
    h("div", { class: "checks" }, boxes.map(([, el]) => el)), errorEl);
  return registry.add(key, () => boxes.filter(([input]) => input.checked).map(([input]) => input.value),
    showsErrors(wrapper, errorEl));
}

/** To, Cc and Bcc, each a list typed with commas.
 * @param {Registry} registry @param {Settings} settings @param {string} key @param {string} label */
export function recipientsControl(registry, settings, key, label) {
  /** @type {Record<string, string[]>} */
  const current = settings[key] || { to: [], cc: [], bcc: [] };
  /** @type {[string, HTMLInputElement, HTMLElement][]} */
  const inputs = ["to", "cc", "bcc"].map((part) => {
    const input = h("input", { class: "input", value: (current[part] || []).join(", "), placeholder: "name@example.com" });
    return [part, input, field(t(`admin.recipients.${part}`), input)];
  });
  const errorEl = h("p", { class: "field__error", hidden: true });
  const wrapper = h("fieldset", { class: "field fieldset" }, h("legend", { class: "field__label", text: label }),
    h("div", { class: "grid grid--3" }, inputs.map(([, , el]) => el)), errorEl);
  return registry.add(key, () => Object.fromEntries(inputs.map(([part, input]) =>
    [part, input.value.split(/[,;\s]+/).map((s) => s.trim()).filter(Boolean)])), showsErrors(wrapper, errorEl));
}

const MIB = 1024 * 1024;

/** @param {Registry} registry @param {Settings} settings @param {string} key @param {string} label @param {string} [hint] */
export function megabytesControl(registry, settings, key, label, hint) {
  const input = h("input", { class: "input input--number", type: "number", min: 0.1, step: 0.1,
    value: Math.round((settings[key] / MIB) * 10) / 10 });
  return registry.add(key, () => (input.value === "" ? null : Math.round(Number(input.value) * MIB)),
    field(label, input, { hint }));
}

/** Settings this page has no dedicated control for yet (added by later features).
 * @param {Registry} registry @param {Settings} settings @param {string} key */
export function genericControl(registry, settings, key) {
  const value = settings[key];
  const label = humanize(key);
  if (typeof value === "boolean") return checkControl(registry, settings, key, label);
  if (typeof value === "number") return numberControl(registry, settings, key, label);
  if (typeof value === "string") return textControl(registry, settings, key, label);
  if (Array.isArray(value) && value.every((/** @type {unknown} */ v) => typeof v === "string")) {
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

/** @param {string} title @param {string | null} description @param {Child[]} content */
export function section(title, description, ...content) {
  const id = uid("sec");
  return h("section", { class: "card settings-section", "aria-labelledby": id },
    h("div", { class: "settings-section__intro" },
      h("h2", { class: "card__title", id, text: title }),
      description ? h("p", { class: "muted", text: description }) : null),
    h("div", { class: "settings-section__fields" }, content));
}
