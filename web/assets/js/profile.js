// @ts-check
// The signed-in user's own profile, for customers, agents and admins alike: name and language
// (of these pages and of every mail), notification mail, password, and where they are signed in,
// with "Sign out" per session and "Sign out everywhere else" (every session but this one).

import { h, append, icon, field, notice, uid } from "./dom.js";
import { api, get, patch, post } from "./api.js";
import { t, errorText, relativeTime, formatDate, LANGUAGES, loadLanguage, rememberLanguage } from "./i18n.js";
import { setTitle } from "./shell/state.js";
import { rerender } from "./shell/navigation.js";
import { updateUser } from "./shell/account.js";
import { securityTotpCard } from "./security_totp.js";
import { passkeysCard } from "./security_passkeys.js";

/** @type {Me["notifications"][]} */
const CHOICES = ["every", "digest", "portal"];

/** What a save that rebuilt the page (a new name or language in the frame) says once rebuilt. */
let flash = "";

/** @type {PageFn} */
export async function profile({ main }) {
  setTitle(t("profile.title"));
  /** @type {[Me, {items: ActiveSession[]}]} */
  const [me, sessions] = await Promise.all([get("/api/me"), get("/api/me/sessions")]);
  const said = flash;
  flash = "";
  const details = detailsCard(me);
  const signedIn = sessionsCard(sessions.items);
  append(main, h("div", { class: "page page--narrow" },
    h("div", { class: "page__header" },
      h("div", {}, h("h1", { class: "page__title", text: t("profile.title") }),
        h("p", { class: "page__lead muted", text: t("profile.lead") }))),
    details.element,
    // Agents' and admins' alerts follow the team's settings: the choice is the customers'.
    me.user.role === "customer" ? notificationsCard(me) : null,
    // A new password ends the other sessions: the list shows it.
    passwordCard(signedIn.reload),
    securityTotpCard(), // Security: two-step verification with an authenticator app
    passkeysCard(), // Security: passkeys, to sign in without a password or as the second step
    signedIn.element));
  // Said once the region is on the page, so screen readers announce it.
  if (said) requestAnimationFrame(() => details.say("success", said));
}

/** A card: a titled section, its live status region, and what it holds.
 * @param {string} title @param {string | null} lead @param {HTMLElement} status @param {Child[]} content */
function card(title, lead, status, ...content) {
  const id = uid("sec");
  return h("section", { class: "card", "aria-labelledby": id },
    h("h2", { class: "card__title", id, tabindex: "-1", text: title }),
    h("div", { class: "form" }, lead ? h("p", { class: "muted", text: lead }) : null, ...content, status));
}

function statusRegion() {
  const element = h("div", { class: "form-status", "aria-live": "polite" });
  /** @param {"success" | "error" | "info"} kind @param {string} text */
  const say = (kind, text) => element.replaceChildren(notice(kind, text));
  return { element, say, clear: () => element.replaceChildren() };
}

/** @param {HTMLButtonElement} button @param {boolean} busy */
function busy(button, busy) {
  button.disabled = busy;
  if (busy) button.setAttribute("aria-busy", "true");
  else button.removeAttribute("aria-busy");
}

/** Name and language; the email is shown, not edited here. @param {Me} me */
function detailsCard(me) {
  const status = statusRegion();
  const name = field(t("profile.name"), h("input", { class: "input", name: "name", autocomplete: "name",
    required: true, maxlength: 120, value: me.user.name }));
  const email = field(t("profile.email"), h("input", { class: "input", name: "email", type: "email",
    readonly: true, value: me.user.email }), { hint: t(me.user.role === "customer" ? "profile.emailHint" : "profile.emailHintStaff") });
  const language = field(t("profile.language"), h("select", { class: "select", name: "language" },
    Object.entries(LANGUAGES).map(([code, label]) =>
      h("option", { value: code, lang: code, selected: code === me.user.language, text: label }))),
  { hint: t("profile.languageHint") });
  const save = h("button", { class: "btn btn--primary", type: "submit", text: t("profile.save") });
  const form = h("form", { class: "form", novalidate: true }, name, email, language,
    h("div", { class: "form__actions" }, save));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    status.clear();
    name.setError("");
    const newName = name.control.value.replace(/\s+/g, " ").trim();
    if (!newName) {
      name.setError(t("error.required"));
      name.control.focus();
      return;
    }
    /** @type {Record<string, string>} */
    const changes = {};
    if (newName !== me.user.name) changes.name = newName;
    if (language.control.value !== me.user.language) changes.language = language.control.value;
    if (!Object.keys(changes).length) {
      status.say("info", t("profile.unchanged"));
      return;
    }
    busy(save, true);
    try {
      /** @type {Me} */
      const saved = await patch("/api/me", changes);
      updateUser(saved.user);
      if (changes.language) {
        rememberLanguage(saved.user.language);
        await loadLanguage(saved.user.language);
      }
      // The frame shows the name and speaks the language: rebuilt, and the page with it.
      flash = t("profile.saved");
      await rerender();
    } catch (error) {
      busy(save, false);
      const problem = /** @type {{details?: unknown}} */ (error).details;
      if (Array.isArray(problem) && problem.some((d) => d && d.field === "name")) {
        name.setError(errorText(error));
        name.control.focus();
      }
      status.say("error", errorText(error));
    }
  });
  return { element: card(t("profile.details"), null, status.element, form), say: status.say };
}

/** Every message, a daily digest, or the portal only: three radios. @param {Me} me */
function notificationsCard(me) {
  const status = statusRegion();
  const hintIds = CHOICES.map(() => uid("nh"));
  const radios = CHOICES.map((choice, i) => h("input", { type: "radio", name: "notifications",
    value: choice, id: uid("nc"), checked: choice === me.notifications, "aria-describedby": hintIds[i] }));
  const legendId = uid("nl");
  const group = h("fieldset", { class: "field fieldset", "aria-labelledby": legendId },
    h("legend", { class: "field__label", id: legendId, text: t("profile.notificationsLegend") }),
    h("div", { class: "checks checks--stacked" }, radios.map((radio, i) =>
      h("span", { class: "check" }, radio,
        h("span", { class: "field" },
          h("label", { for: radio.id, text: t(`profile.notify.${CHOICES[i]}`) }),
          h("span", { class: "field__hint", id: hintIds[i], text: t(`profile.notifyHint.${CHOICES[i]}`) }))))));
  const save = h("button", { class: "btn btn--primary", type: "submit", text: t("profile.saveNotifications") });
  const form = h("form", { class: "form" }, group, h("div", { class: "form__actions" }, save));
  let saved = me.notifications;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    status.clear();
    const chosen = (radios.find((radio) => radio.checked) || { value: saved }).value;
    if (chosen === saved) {
      status.say("info", t("profile.unchanged"));
      return;
    }
    busy(save, true);
    try {
      /** @type {Me} */
      const answer = await patch("/api/me", { notifications: chosen });
      saved = answer.notifications;
      status.say("success", t("profile.notificationsSaved"));
    } catch (error) {
      status.say("error", errorText(error));
    } finally {
      busy(save, false);
    }
  });
  return card(t("profile.notifications"), t("profile.notificationsLead"), status.element, form);
}

/** The current password, then the new one twice. @param {() => Promise<void>} changed */
function passwordCard(changed) {
  const status = statusRegion();
  /** @param {string} name @param {string} autocomplete */
  const input = (name, autocomplete) => h("input", { class: "input", type: "password", name, autocomplete,
    required: true, maxlength: 1024 });
  const current = field(t("auth.currentPassword"), input("current-password", "current-password"));
  const password = field(t("auth.newPassword"), input("new-password", "new-password"),
    { hint: t("auth.passwordHint") });
  const repeat = field(t("auth.repeatPassword"), input("repeat-password", "new-password"));
  const save = h("button", { class: "btn btn--primary", type: "submit", text: t("profile.changePassword") });
  const form = h("form", { class: "form" }, current, password, repeat,
    h("div", { class: "form__actions" }, save));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    status.clear();
    for (const each of [current, password, repeat]) each.setError("");
    if (password.control.value !== repeat.control.value) {
      repeat.setError(t("auth.mismatch"));
      repeat.control.focus();
      return;
    }
    busy(save, true);
    try {
      await post("/api/auth/password", {
        current_password: current.control.value, new_password: password.control.value,
      });
      form.reset();
      status.say("success", t("profile.passwordChanged"));
      await changed();
    } catch (error) {
      const code = /** @type {{code?: string}} */ (error).code;
      const beside = code === "wrong_password" ? current : code === "weak_password" ? password : null;
      if (beside) {
        beside.setError(errorText(error));
        beside.control.focus();
      }
      status.say("error", errorText(error));
    } finally {
      busy(save, false);
    }
  });
  return card(t("profile.password"), t("profile.passwordLead"), status.element, form);
}

/** "Firefox on Windows", or what the browser let us know. @param {ActiveSession} session */
function device(session) {
  if (session.browser && session.os) return t("profile.device", { browser: session.browser, os: session.os });
  return session.browser || session.os || t("profile.unknownDevice");
}

/** Where the user is signed in, this session first. @param {ActiveSession[]} initial */
function sessionsCard(initial) {
  const status = statusRegion();
  const list = h("ul", { class: "documents__list" });
  const others = h("button", { class: "btn btn--danger-ghost", type: "button" }, icon("logout"),
    h("span", { text: t("profile.signOutOthers") }));
  const element = card(t("profile.sessions"), t("profile.sessionsLead"), status.element, list,
    h("div", { class: "form__actions" }, others));
  const heading = /** @type {HTMLElement} */ (element.querySelector("h2"));

  /** @param {ActiveSession[]} items */
  const show = (items) => {
    list.replaceChildren(...items.map(entry));
    others.hidden = !items.some((session) => !session.current);
  };

  /** @param {ActiveSession} session */
  const entry = (session) => {
    const name = device(session);
    const seen = session.current ? t("profile.activeNow")
      : t("profile.lastSeen", { when: relativeTime(session.last_seen_at) });
    const meta = h("div", { class: "documents__meta" },
      h("span", { class: "documents__name" }, name,
        session.current ? h("span", { class: "muted", text: ` · ${t("profile.thisDevice")}` }) : null),
      h("time", { class: "documents__sub muted", datetime: session.last_seen_at,
        title: formatDate(session.last_seen_at), text: seen }),
      h("time", { class: "documents__sub muted", datetime: session.signed_in_at,
        text: t("profile.signedIn", { when: formatDate(session.signed_in_at) }) }));
    let button = null;
    if (!session.current) {
      button = h("button", { class: "btn btn--ghost btn--small", type: "button",
        "aria-label": t("profile.signOutOne", { device: name, when: seen }), text: t("profile.signOut") });
      const pressed = button;
      button.addEventListener("click", async () => {
        busy(pressed, true);
        status.clear();
        try {
          await api("DELETE", `/api/me/sessions/${encodeURIComponent(session.id)}`);
          status.say("success", t("profile.signedOutOne", { device: name }));
        } catch (error) {
          status.say("error", errorText(error));
        }
        await reload();
        heading.focus();
      });
    }
    return h("li", { class: "documents__item", dataset: { current: String(session.current) } },
      h("span", { class: "documents__icon", "aria-hidden": "true" }, icon(session.current ? "check" : "user")),
      meta, button);
  };

  const reload = async () => {
    try {
      /** @type {{items: ActiveSession[]}} */
      const answer = await get("/api/me/sessions");
      show(answer.items);
    } catch (error) {
      status.say("error", errorText(error));
    }
  };

  others.addEventListener("click", async () => {
    busy(others, true);
    status.clear();
    try {
      /** @type {{ended: number}} */
      const answer = await post("/api/me/sessions/sign-out-others", {});
      status.say("success", t("profile.signedOutOthers", { count: answer.ended }));
    } catch (error) {
      status.say("error", errorText(error));
    } finally {
      busy(others, false);
    }
    await reload();
    heading.focus();
  });

  show(initial);
  return { element, reload };
}
