// @ts-check
// The second step of a sign-in (services/second_factor.py). Every first factor (password,
// magic link) answers either the sign-in itself or `{second_factor: {methods, enrol}}` with an
// HttpOnly pending cookie; `afterFirstFactor` takes either and finishes: a code from the
// authenticator app, a recovery code, a passkey (when auth_passkey.js registers it below), or,
// when the admin requires a second factor and none is set up, setting one up first. The step's
// pages (second_factor_step.js) load only when a sign-in needs them: the sign-in page stays light.

import { homeFor } from "./shell/state.js";
import { navigate } from "./shell/navigation.js";
import { signedIn } from "./shell/account.js";

/**
 * @typedef {{ methods: string[], enrol: boolean }} SecondFactorStep
 * @typedef {(result: SignedIn) => Promise<void>} Finish
 * @typedef {{ answer: null | ((finish: Finish) => HTMLElement), enrol: null | ((finish: Finish) => HTMLElement) }} PasskeyStep
 */

/** What the passkey module offers in the step: `answer` (the account has a passkey: a button
 * that signs in with it) and `enrol` (one must be set up: a button that registers one). Each
 * returns an element; on success it calls `finish` with the sign-in answer.
 * @type {PasskeyStep} */
export const passkeyStep = { answer: null, enrol: null };

/** After a first factor: sign in, or show the second step in `main`.
 * @param {HTMLElement} main @param {any} answer @param {string | null} next */
export async function afterFirstFactor(main, answer, next) {
  /** @type {Finish} */
  const finish = async (result) => {
    await signedIn(result);
    navigate(result.user.must_change_password ? "/change-password" : next || homeFor(result.user),
      { replace: true });
  };
  /** @type {SecondFactorStep | undefined} */
  const step = answer && answer.second_factor;
  if (!step) {
    await finish(answer);
    return;
  }
  const { showStep } = await import("./second_factor_step.js");
  await showStep(main, step, finish, passkeyStep);
}
