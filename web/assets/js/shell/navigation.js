// @ts-check
// Moving between pages without a reload. Pages and the shell ask for a path; the router
// (router.js) shows it, having said how at boot: so no page needs the router, nor the shell.

/** @type {() => Promise<void>} */
let show = async () => {};
/** @type {(() => void)[]} */
let cleanup = [];

/** Called once by app.js: `render` shows the page of the current address. */
export function onNavigate(/** @type {() => Promise<void>} */ render) {
  show = render;
}

/** @param {string} path @param {{replace?: boolean}} [options] */
export function navigate(path, { replace = false } = {}) {
  if (replace) history.replaceState(null, "", path);
  else history.pushState(null, "", path);
  show();
}

/** Shows the current address's page again (after the language changed, say). */
export function rerender() {
  return show();
}

/** `fn` runs when the page is left (a live thread stops following, say). */
export function onCleanup(/** @type {() => void} */ fn) {
  cleanup.push(fn);
}

export function runCleanups() {
  for (const fn of cleanup.splice(0)) {
    try {
      fn();
    } catch {
      // a page's cleanup failing must not stop the next page
    }
  }
}
