// @ts-check
// A user's two-step verification in the admin's user editor: what the account has set up, and
// a reset (a lost phone, lost recovery codes) confirmed in place. An admin's own is changed in
// their profile's Security section, where they prove it is them: no button for it here.

import { h, notice, uid } from "../dom.js";
import { post } from "../api.js";
import { t, errorText } from "../i18n.js";
import { signedInUser } from "../shell/state.js";

/** What the account has set up, in words. @param {string[]} factors */
function factorsText(factors) {
  if (!factors.length) return t("admin.secondFactorNone");
  return t("admin.secondFactorOn", { methods: factors.map((f) => t(`admin.signInMethod.${f}`)).join(", ") });
}

/** The editor's two-step verification part. A reset updates `user` in place (the row that
 * opened the editor shows the account as it now is).
 * @param {User} user */
export function secondFactorPanel(user) {
  const stateText = h("p", { class: "field__hint" });
  const actions = h("div", { class: "form__actions" });
  const status = h("div", { class: "form-status", "aria-live": "polite" });
  const legendId = uid("sf");
  const panel = h("fieldset", { class: "field fieldset user-second-factor", "aria-labelledby": legendId },
    h("legend", { id: legendId, class: "field__label", text: t("admin.secondFactor") }), stateText, actions, status);

  const resetButton = h("button", { type: "button", class: "btn btn--danger-ghost btn--small", text: t("admin.secondFactorReset") });
  const show = () => {
    const factors = user.second_factors || [];
    stateText.textContent = factorsText(factors);
    const resettable = factors.length > 0 && user.id !== signedInUser().id;
    actions.replaceChildren(...(resettable ? [resetButton] : []));
  };
  resetButton.addEventListener("click", () => {
    // Confirmed in place, not with window.confirm: the question names the person and what
    // they lose.
    const questionId = uid("sfq");
    const yes = h("button", { type: "button", class: "btn btn--danger btn--small", text: t("admin.secondFactorResetYes"),
      "aria-describedby": questionId });
    const no = h("button", { type: "button", class: "btn btn--ghost btn--small", text: t("common.cancel") });
    no.addEventListener("click", () => {
      show();
      resetButton.focus();
    });
    yes.addEventListener("click", async () => {
      yes.disabled = true;
      try {
        /** @type {{user: User}} */
        const answer = await post(`/api/admin/users/${encodeURIComponent(user.id)}/second-factor/reset`);
        Object.assign(user, answer.user);
        show();
        status.replaceChildren(notice("success", t("admin.secondFactorResetDone", { name: user.name })));
      } catch (error) {
        yes.disabled = false;
        status.replaceChildren(notice("error", errorText(error)));
      }
    });
    status.replaceChildren();
    actions.replaceChildren(h("div", { class: "reset-confirm", role: "group" },
      h("p", { id: questionId, text: t("admin.secondFactorResetConfirm", { name: user.name }) }), yes, no));
    yes.focus();
  });
  show();
  return panel;
}
