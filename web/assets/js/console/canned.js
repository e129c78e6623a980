// @ts-check
// Canned responses: what the composer finds them with (a searchable picker in a dialog, and the
// `;shortcut` lookup), and the console page that manages them (/console/canned): the team's
// shared ones, which admins edit, and the agent's own.

import { h, append, clear, icon, notice, uid, field } from "../dom.js";
import { api, get, post, patch, problemsOf } from "../api.js";
import { t, errorText, fieldErrorText, LANGUAGES } from "../i18n.js";
import { setTitle, signedInUser } from "../shell/state.js";
import { emptyState } from "../ui.js";

const BASE = "/api/console/canned";
/** @type {AnswerAction[]} */
export const ACTIONS = ["send", "send_leave_open", "resolve_silently", "note"];
const RESPONSE_LANGUAGES = ["en", "fr", "pl", "any"];
// What a shortcut is made of (the server's pattern: letters of any script, digits, _ and -).
const SHORTCUT = /^[\p{L}\p{N}_-]+$/u;
// `;word` just before the caret, at the start of a line or after a space.
const TYPED_SHORTCUT = /(^|\s);([\p{L}\p{N}_-]*)$/u;

// Letters NFKD does not split into a base letter and a mark (the server's search folds the same).
/** @type {Record<string, string>} */
const FOLDS = { ł: "l", đ: "d", ð: "d", ø: "o", æ: "ae", œ: "oe", þ: "th", ħ: "h", ı: "i" };

/** Case and accents ignored: "ecran" finds "Écran", "zolw" finds "Żółw". */
export function fold(/** @type {string} */ text) {
  return text.toLowerCase().replace(/[łđðøæœþħı]/g, (c) => FOLDS[c] || c)
    .normalize("NFKD").replace(/\p{M}/gu, "");
}

/** Whether a response has every word of `query` in its title, shortcut or text. */
function matches(/** @type {CannedResponse} */ response, /** @type {string} */ query) {
  const words = fold(query).split(/[\s;]+/).filter(Boolean);
  const text = fold(`${response.title}\n${response.shortcut || ""}\n${response.body}`);
  return words.every((word) => text.includes(word));
}

function languageName(/** @type {string} */ code) {
  return code === "any" ? t("canned.anyLanguage") : LANGUAGES[/** @type {keyof typeof LANGUAGES} */ (code)] || code;
}

/** The small facts under a response's title: its shortcut, language, whose it is, its action. */
function facts(/** @type {CannedResponse} */ response) {
  return h("span", { class: "canned-facts" },
    response.shortcut ? h("code", { class: "canned-facts__shortcut", text: `;${response.shortcut}` }) : null,
    h("span", { class: "chip", text: languageName(response.language) }),
    h("span", { class: ["chip", response.shared && "chip--team"],
      text: response.shared ? t("canned.shared") : t("canned.personal") }),
    response.action ? h("span", { class: "chip", text: t(`console.action.${response.action}`) }) : null);
}

/**
 * The responses for one ticket, each filled (`filled`) for its customer and the agent: read
 * once, when first needed, and again after a failure.
 * @param {string} ticketId
 */
export function cannedSource(ticketId) {
  /** @type {Promise<CannedList> | null} */
  let loading = null;
  const load = () => {
    if (!loading) {
      loading = get(BASE, { ticket_id: ticketId });
      loading.catch(() => {
        loading = null;
      });
    }
    return loading;
  };
  return {
    load,
    /** The response a shortcut names: the agent's own before the team's. */
    async byShortcut(/** @type {string} */ shortcut) {
      const wanted = shortcut.toLowerCase();
      const { items } = await load();
      const found = items.filter((item) => item.shortcut === wanted);
      return found.find((item) => !item.shared) || found[0] || null;
    },
  };
}

/** `;word` just before the caret of `text`: where it starts, and the word (maybe empty). */
export function typedShortcut(/** @type {HTMLTextAreaElement} */ text) {
  if (text.selectionStart !== text.selectionEnd) return null;
  const match = TYPED_SHORTCUT.exec(text.value.slice(0, text.selectionStart));
  if (!match) return null;
  return { start: text.selectionStart - match[2].length - 1, word: match[2] };
}

/**
 * The picker: a modal dialog with a search field (a combobox over a listbox of responses), the
 * language (the customer's first), and a link to the page that manages them. Up and down move
 * through the list, Enter inserts, Escape closes; focus goes back where it was.
 * @param {{source: ReturnType<typeof cannedSource>,
 *   onPick: (response: CannedResponse) => void}} options
 */
export function cannedPicker({ source, onPick }) {
  const titleId = uid("canned-title");
  const listId = uid("canned-list");
  const search = h("input", { class: "input", type: "text", id: uid("canned-q"), autocomplete: "off",
    maxlength: 200, role: "combobox", "aria-controls": listId, "aria-expanded": "true",
    "aria-autocomplete": "list", placeholder: t("canned.searchPlaceholder") });
  const language = h("select", { class: "select", id: uid("canned-language") });
  const list = h("ul", { class: "canned-options", id: listId, role: "listbox", "aria-label": t("canned.listLabel") });
  const said = h("p", { class: "sr-only", "aria-live": "polite" });
  const status = h("div", { class: "form-status", "aria-live": "polite" });
  const close = h("button", { type: "button", class: "btn btn--ghost btn--small", text: t("canned.close") });
  const dialog = h("dialog", { class: "card canned-picker", "aria-labelledby": titleId },
    h("h2", { class: "card__title", id: titleId }, icon("note"), t("canned.pickerTitle")),
    h("div", { class: "canned-picker__filters" },
      h("div", { class: "canned-picker__search" },
        h("label", { class: "field__label", for: search.id, text: t("canned.search") }), search),
      h("div", {},
        h("label", { class: "field__label", for: language.id, text: t("canned.language") }), language)),
    status, list, said,
    h("p", { class: "field__hint", text: t("canned.pickerHelp") }),
    h("div", { class: "canned-picker__footer" },
      h("a", { href: "/console/canned", class: "canned-picker__manage", text: t("canned.manage") }), close));

  /** @type {CannedResponse[]} */
  let items = [];
  /** @type {CannedResponse[]} */
  let shown = [];
  let active = -1;
  /** @type {Element | null} */
  let returnFocus = null;
  let customerLanguage = "";

  const setActive = (/** @type {number} */ index) => {
    const options = list.querySelectorAll("[role=option]");
    active = options.length ? Math.max(0, Math.min(index, options.length - 1)) : -1;
    options.forEach((option, i) => option.setAttribute("aria-selected", String(i === active)));
    const current = active >= 0 ? options[active] : null;
    if (current) {
      search.setAttribute("aria-activedescendant", current.id);
      current.scrollIntoView({ block: "nearest" });
    } else {
      search.removeAttribute("aria-activedescendant");
    }
  };

  const render = () => {
    const lang = language.value;
    shown = items.filter((item) => (!lang || item.language === lang || item.language === "any")
      && matches(item, search.value));
    clear(list);
    shown.forEach((item, index) => {
      const option = h("li", { class: "canned-option", role: "option", id: `${listId}-${index}`,
        "aria-selected": "false", dataset: { cannedId: item.id } },
      h("span", { class: "canned-option__title", text: item.title }),
      facts(item),
      h("span", { class: "canned-option__preview muted",
        text: (item.filled ?? item.body).replace(/\s+/g, " ").trim().slice(0, 200) }));
      // The mouse picks too; mousedown would take the focus from the search field first.
      option.addEventListener("mousedown", (event) => event.preventDefault());
      option.addEventListener("click", () => pick(item));
      list.append(option);
    });
    if (!shown.length) list.append(h("li", { class: "canned-options__none muted", role: "presentation",
      text: items.length ? t("canned.none") : t("canned.noneYet") }));
    said.textContent = t("canned.found", { count: shown.length });
    setActive(0);
  };

  const pick = (/** @type {CannedResponse} */ item) => {
    returnFocus = null; // the composer puts the focus where the text went
    dialog.close();
    onPick(item);
  };

  search.addEventListener("input", render);
  language.addEventListener("change", render);
  search.addEventListener("keydown", (event) => {
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      setActive(active + (event.key === "ArrowDown" ? 1 : -1));
    } else if ((event.key === "Home" || event.key === "End") && event.ctrlKey) {
      event.preventDefault();
      setActive(event.key === "Home" ? 0 : shown.length - 1);
    } else if (event.key === "Enter") {
      event.preventDefault();
      if (active >= 0 && shown[active]) pick(shown[active]);
    }
  });
  close.addEventListener("click", () => dialog.close());
  dialog.addEventListener("close", () => {
    if (returnFocus instanceof HTMLElement && returnFocus.isConnected) returnFocus.focus();
    returnFocus = null;
  });

  const fillLanguages = () => {
    const options = [h("option", { value: "", text: t("canned.allLanguages") })];
    for (const code of Object.keys(LANGUAGES)) {
      options.push(h("option", { value: code, text: code === customerLanguage
        ? t("canned.customerLanguage", { language: languageName(code) }) : languageName(code) }));
    }
    language.replaceChildren(...options);
    language.value = customerLanguage;
  };

  /** Opens on `query` (what followed the `;` typed), in the customer's language. */
  async function open(query = "") {
    returnFocus = document.activeElement;
    search.value = query;
    status.replaceChildren();
    if (!dialog.isConnected) document.body.append(dialog);
    dialog.showModal();
    search.focus();
    try {
      const answer = await source.load();
      items = answer.items;
      customerLanguage = answer.customer_language || "";
      fillLanguages();
      // Nothing in the customer's language: show every language rather than an empty list.
      if (!items.some((item) => item.language === customerLanguage || item.language === "any")) language.value = "";
      render();
    } catch (error) {
      status.replaceChildren(notice("error", errorText(error)));
    }
  }

  return { open, element: dialog };
}

// ---------------------------------------------------------------------------------------------
// The page: /console/canned

/** @type {Record<string, string>} */
const PLACEHOLDER_LABELS = {
  customer_name: "canned.placeholder.customer_name",
  ticket_number: "canned.placeholder.ticket_number",
  agent_name: "canned.placeholder.agent_name",
};

/**
 * The form of one response, new or changed. `onSaved(response)` once the server took it.
 * @param {{response: CannedResponse | null, isAdmin: boolean, placeholders: string[],
 *   onSaved: (response: CannedResponse) => void, onCancel?: () => void}} options
 */
function responseForm({ response, isAdmin, placeholders, onSaved, onCancel }) {
  const title = h("input", { class: "input", required: true, maxlength: 120, value: response ? response.title : "" });
  const language = h("select", { class: "select" },
    RESPONSE_LANGUAGES.map((code) => h("option", { value: code, text: languageName(code) })));
  language.value = response ? response.language : "any";
  const shortcut = h("input", { class: "input", maxlength: 30, autocomplete: "off", spellcheck: "false",
    value: response && response.shortcut ? response.shortcut : "" });
  const action = h("select", { class: "select" }, h("option", { value: "", text: t("canned.noAction") }),
    ACTIONS.map((code) => h("option", { value: code, text: t(`console.action.${code}`) })));
  action.value = response && response.action ? response.action : "";
  const body = h("textarea", { class: "textarea", rows: 6, required: true, maxlength: 5000,
    value: response ? response.body : "" });
  const shared = h("input", { type: "checkbox", id: uid("canned-shared") });
  const fields = {
    title: field(t("canned.titleLabel"), title),
    language: field(t("canned.language"), language),
    shortcut: field(t("canned.shortcut"), shortcut, { hint: t("canned.shortcutHint"), optional: t("common.optional") }),
    action: field(t("canned.action"), action, { hint: t("canned.actionHint") }),
    body: field(t("canned.body"), body, { hint: t("canned.bodyHint") }),
  };
  // Each placeholder in words; a click puts it where the caret is.
  const insertButtons = placeholders.map((name) => {
    const button = h("button", { type: "button", class: "btn btn--ghost btn--small" }, icon("plus"),
      h("span", { text: PLACEHOLDER_LABELS[name] ? t(PLACEHOLDER_LABELS[name]) : name }));
    button.addEventListener("click", () => {
      body.setRangeText(`{{ ${name} }}`, body.selectionStart, body.selectionEnd, "end");
      body.focus();
    });
    return button;
  });
  const status = h("div", { class: "form-status", "aria-live": "polite" });
  const save = h("button", { type: "submit", class: "btn btn--primary", text: response ? t("common.save") : t("canned.add") });
  const form = h("form", { class: "form canned-form" },
    h("div", { class: "grid grid--3" }, fields.title, fields.language, fields.shortcut),
    fields.action,
    fields.body,
    h("div", { class: "canned-form__placeholders", role: "group", "aria-label": t("canned.insertPlaceholder") },
      h("span", { class: "muted", text: t("canned.insertPlaceholder") }), insertButtons),
    !response && isAdmin ? h("span", { class: "check" }, shared, h("label", { for: shared.id, text: t("canned.sharedToggle") })) : null,
    status,
    h("div", { class: "form__actions" },
      onCancel ? h("button", { type: "button", class: "btn btn--ghost", text: t("common.cancel"), onClick: onCancel }) : null,
      save));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    for (const wrapper of Object.values(fields)) wrapper.setError("");
    status.replaceChildren();
    const typed = shortcut.value.trim().replace(/^;/, "");
    if (typed && !SHORTCUT.test(typed)) {
      fields.shortcut.setError(t("canned.shortcutHint"));
      shortcut.focus();
      return;
    }
    /** @type {Record<string, unknown>} */
    const sent = {
      title: title.value.trim(), body: body.value, language: language.value,
      shortcut: typed || null, action: action.value || null,
    };
    if (!response) {
      if (!sent.shortcut) delete sent.shortcut;
      if (!sent.action) delete sent.action;
      if (shared.checked) sent.shared = true;
    }
    save.disabled = true;
    try {
      /** @type {{response: CannedResponse}} */
      const answer = response
        ? await patch(`${BASE}/${encodeURIComponent(response.id)}`, sent)
        : await post(BASE, sent);
      onSaved(answer.response);
      if (!response) {
        form.reset();
        language.value = "any";
      }
    } catch (error) {
      const problems = problemsOf(error);
      for (const detail of problems) {
        const name = /** @type {keyof typeof fields} */ ((detail.field || "").split(".")[0]);
        if (fields[name]) fields[name].setError(fieldErrorText({ ...detail, field: "" }));
      }
      const code = error && typeof error === "object" && "code" in error ? error.code : "";
      if (code === "unknown_placeholder") fields.body.setError(errorText(error));
      if (code === "shortcut_taken") fields.shortcut.setError(errorText(error));
      status.replaceChildren(notice("error", errorText(error)));
    } finally {
      save.disabled = false;
    }
  });
  return form;
}

/** @type {PageFn} */
export async function canned({ main }) {
  setTitle(t("canned.title"));
  const me = signedInUser();
  const isAdmin = me.role === "admin";
  const status = h("div", { class: "form-status", "aria-live": "polite" });
  const search = h("input", { class: "input input--search", type: "search", id: uid("canned-q"), maxlength: 200,
    placeholder: t("canned.searchPlaceholder") });
  const language = h("select", { class: "select select--small", id: uid("canned-lang") },
    h("option", { value: "", text: t("canned.allLanguages") }),
    Object.keys(LANGUAGES).map((code) => h("option", { value: code, text: languageName(code) })));
  const sharedList = h("div", { class: "canned-list" });
  const ownList = h("div", { class: "canned-list" });
  /** @type {string[]} */
  let placeholders = [];

  const said = (/** @type {"success" | "error"} */ kind, /** @type {string} */ text) =>
    status.replaceChildren(notice(kind, text));

  /** One response as a card: what it says, and for those the agent may change, Edit and Delete. */
  const card = (/** @type {CannedResponse} */ response) => {
    const titleId = uid("canned");
    const holder = h("article", { class: "canned-card", "aria-labelledby": titleId, dataset: { cannedId: response.id } });
    const show = () => {
      const actions = h("div", { class: "canned-card__actions" });
      if (response.editable) {
        const edit = h("button", { type: "button", class: "btn btn--secondary btn--small", text: t("canned.edit"),
          "aria-describedby": titleId });
        const remove = h("button", { type: "button", class: "btn btn--danger-ghost btn--small", text: t("canned.delete"),
          "aria-describedby": titleId });
        edit.addEventListener("click", () => {
          holder.replaceChildren(h("h3", { class: "canned-card__title", id: titleId, text: response.title }),
            responseForm({ response, isAdmin, placeholders, onCancel: () => {
              show();
              focusEdit();
            }, onSaved: (saved) => {
              response = saved;
              show();
              focusEdit();
              said("success", t("canned.saved", { title: saved.title }));
            } }));
          holder.querySelector("input")?.focus();
        });
        remove.addEventListener("click", () => confirmDelete(actions));
        append(actions, [edit, remove]);
      }
      holder.replaceChildren(
        h("div", { class: "canned-card__head" },
          h("h3", { class: "canned-card__title", id: titleId, text: response.title }), actions),
        facts(response),
        h("p", { class: "canned-card__body", text: response.body }));
    };
    const focusEdit = () => {
      const edit = holder.querySelector(".canned-card__actions .btn--secondary");
      if (edit instanceof HTMLElement) edit.focus();
    };
    /** Delete asks once more, in place: Delete "…"? Delete / Keep. */
    const confirmDelete = (/** @type {HTMLElement} */ actions) => {
      const question = t("canned.confirmDelete", { title: response.title });
      const yes = h("button", { type: "button", class: "btn btn--danger btn--small", text: t("canned.delete") });
      const no = h("button", { type: "button", class: "btn btn--ghost btn--small", text: t("canned.keep") });
      actions.replaceChildren(h("div", { class: "canned-card__confirm", role: "group", "aria-label": question },
        h("span", { text: question }), yes, no));
      no.addEventListener("click", () => {
        show();
        const again = holder.querySelector(".btn--danger-ghost");
        if (again instanceof HTMLElement) again.focus();
      });
      yes.addEventListener("click", async () => {
        yes.disabled = true;
        try {
          await api("DELETE", `${BASE}/${encodeURIComponent(response.id)}`);
          holder.remove();
          said("success", t("canned.deleted", { title: response.title }));
          search.focus();
        } catch (error) {
          said("error", errorText(error));
          show();
        }
      });
      yes.focus();
    };
    show();
    return holder;
  };

  let latest = 0;
  const load = async () => {
    const mine = ++latest;
    try {
      /** @type {CannedList} */
      const answer = await get(BASE, { q: search.value.trim(), language: language.value || null });
      if (mine !== latest) return;
      placeholders = answer.placeholders;
      const shared = answer.items.filter((item) => item.shared);
      const own = answer.items.filter((item) => !item.shared);
      const nothing = () => emptyState(search.value.trim() || language.value ? t("canned.none") : t("canned.noneYet"));
      sharedList.replaceChildren(...(shared.length ? shared.map(card) : [nothing()]));
      ownList.replaceChildren(...(own.length ? own.map(card) : [nothing()]));
    } catch (error) {
      if (mine === latest) said("error", errorText(error));
    }
  };
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer;
  search.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(load, 200);
  });
  language.addEventListener("change", load);
  await load();

  const create = h("details", { class: "card disclosure disclosure--card" },
    h("summary", {}, icon("plus"), t("canned.new")),
    responseForm({ response: null, isAdmin, placeholders, onSaved: (saved) => {
      said("success", t("canned.created", { title: saved.title }));
      load();
    } }));
  append(main, h("div", { class: "page" },
    h("div", { class: "page__header" }, h("div", {},
      h("h1", { class: "page__title", text: t("canned.title") }),
      h("p", { class: "page__lead muted", text: isAdmin ? t("canned.leadAdmin") : t("canned.lead") }))),
    create,
    h("div", { class: "toolbar" },
      h("form", { class: "search toolbar__group toolbar__group--grow", role: "search", onSubmit: (/** @type {Event} */ event) => {
        event.preventDefault();
        load();
      } },
      h("label", { for: search.id, class: "sr-only", text: t("canned.search") }), icon("search"), search),
      h("div", { class: "toolbar__group" },
        h("label", { for: language.id, class: "toolbar__label", text: t("canned.language") }), language)),
    status,
    h("section", { class: "canned-section", "aria-labelledby": "canned-shared-title" },
      h("h2", { class: "section-title", id: "canned-shared-title", text: t("canned.sharedHeading") }), sharedList),
    h("section", { class: "canned-section", "aria-labelledby": "canned-own-title" },
      h("h2", { class: "section-title", id: "canned-own-title", text: t("canned.personalHeading") }), ownList)));
}
