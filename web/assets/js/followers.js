// @ts-check
// A ticket's followers: who hears of the team's answers besides the requester (and, with an
// account, reads the ticket in their portal). Shared by the portal's ticket page and the
// console's conversation: `base` is /api/portal/tickets/<id> or the console's, and the server
// says what the caller may do (`can_add`, each follower's `can_remove`).

import { h, icon, clear, notice, uid, field } from "./dom.js";
import { get, post, api } from "./api.js";
import { t, errorText } from "./i18n.js";
import { state } from "./shell/state.js";

/** The followers card. `onLeft` runs when the signed-in customer stopped following (the ticket
 * is no longer theirs to read).
 * @param {{base: string, onLeft?: () => void}} options */
export function followersCard({ base, onLeft }) {
  const titleId = uid("followers");
  const count = h("span", { class: "badge", text: "0" });
  const list = h("ul", { class: "followers__list" });
  const status = h("div", { class: "followers__status", "aria-live": "polite" });
  const input = h("input", { class: "input", type: "email", name: "email", maxlength: 254,
    autocomplete: "off", required: true });
  const emailField = field(t("followers.email"), input, { hint: t("followers.hint") });
  const addButton = h("button", { type: "submit", class: "btn btn--secondary btn--small" },
    icon("plus"), h("span", { text: t("followers.add") }));
  const form = h("form", { class: "followers__add", hidden: true }, emailField, addButton);
  const section = h("section", { class: "card followers", "aria-labelledby": titleId },
    h("h2", { class: "card__title", id: titleId }, icon("user"),
      h("span", { text: t("followers.title") }), count),
    list, status, form);

  /** @param {FollowerList} answer */
  const show = (answer) => {
    clear(list);
    count.textContent = String(answer.items.length);
    form.hidden = !answer.can_add;
    if (!answer.items.length) {
      list.append(h("li", { class: "followers__empty muted", text: t("followers.none") }));
    }
    for (const follower of answer.items) list.append(row(follower));
  };

  /** @param {Follower} follower */
  const row = (follower) => {
    const name = follower.name || follower.email;
    const self = Boolean(state.user && follower.id === state.user.id);
    const remove = follower.can_remove ? h("button", { type: "button", class: "btn btn--ghost btn--small" },
      h("span", { "aria-hidden": "true", text: "×" }),
      h("span", { class: "sr-only", text: self ? t("followers.leave") : t("followers.remove", { name }) })) : null;
    if (remove) {
      remove.addEventListener("click", async () => {
        remove.disabled = true;
        try {
          const answer = await api("DELETE", `${base}/followers/${encodeURIComponent(follower.id)}`);
          if (self && onLeft) {
            onLeft();
            return;
          }
          show(answer);
          status.replaceChildren(notice("success", t("followers.removed", { name })));
        } catch (error) {
          status.replaceChildren(notice("error", errorText(error)));
          remove.disabled = false;
        }
      });
    }
    return h("li", { class: "followers__item", dataset: { followerId: follower.id } },
      h("span", { class: "followers__meta" },
        h("span", { class: "followers__name", text: name }),
        h("span", { class: "followers__sub muted",
          text: follower.has_account ? (follower.name ? follower.email : "") : t("followers.mailOnly") })),
      remove);
  };

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    emailField.setError("");
    addButton.disabled = true;
    try {
      /** @type {FollowerList} */
      const answer = await post(`${base}/followers`, { email: input.value.trim() });
      show(answer);
      const added = answer.items.find((f) => f.email === input.value.trim().toLowerCase());
      status.replaceChildren(notice("success", t("followers.added", {
        name: added ? added.name || added.email : input.value.trim() })));
      input.value = "";
    } catch (error) {
      emailField.setError(errorText(error));
      input.focus();
    } finally {
      addButton.disabled = false;
    }
  });

  get(`${base}/followers`).then(show, (error) => {
    status.replaceChildren(notice("error", errorText(error)));
  });
  return section;
}
