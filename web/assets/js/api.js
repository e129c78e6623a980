// @ts-check
// The one way pages talk to the API. The session lives in an HttpOnly cookie the page never
// sees; every request proves it comes from this page with `Authorization: CSRF <token>`, the
// token being kept in sessionStorage (never the session token itself).

const CSRF_KEY = "parley.csrf";
/** @type {Set<(error: ApiError) => void>} */
const listeners = new Set();
/** @type {Set<(secondsLeft: number) => void>} */
const clockListeners = new Set();

/** A refusal: the HTTP status, the API's error code, its message, and `details` (a refused
 * form's problems as a list; other facts, such as why a session ended, as an object). */
export class ApiError extends Error {
  /** @param {number} status @param {string} [code] @param {string} [message] @param {ApiErrorDetails} [details] */
  constructor(status, code, message, details) {
    super(message || code || `HTTP ${status}`);
    this.status = status;
    this.code = code || "http_error";
    this.details = details;
  }
}

export function csrfToken() {
  try {
    return sessionStorage.getItem(CSRF_KEY);
  } catch {
    return null;
  }
}

/** @param {string | null} token */
export function setCsrfToken(token) {
  try {
    if (token) sessionStorage.setItem(CSRF_KEY, token);
    else sessionStorage.removeItem(CSRF_KEY);
  } catch {
    // storage unavailable (private mode quirks): the session then lasts for this page only
  }
}

/** A refused form's problems, each naming its field (none for any other failure).
 * @param {unknown} error @returns {ErrorDetail[]} */
export function problemsOf(error) {
  return error instanceof ApiError && Array.isArray(error.details) ? error.details : [];
}

/** Called with (error) for refusals every page handles the same way. */
export function onAuthProblem(/** @type {(error: ApiError) => void} */ listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Hands a refusal that was asked for quietly to that common handling after all. */
export function reportAuthProblem(/** @type {ApiError} */ error) {
  for (const listener of listeners) listener(error);
}

/** Called with the seconds the session has left without activity, from every signed-in answer
 * (the server's X-Session-Ends-In): the page warns before it ends without trusting its clock. */
export function onSessionClock(/** @type {(secondsLeft: number) => void} */ listener) {
  clockListeners.add(listener);
  return () => clockListeners.delete(listener);
}

/** @param {QueryParams | null | undefined} params */
function query(params) {
  if (!params) return "";
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== "") search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : "";
}

/**
 * The answer's JSON, typed where it is read (the shapes are in web-types/api.d.ts).
 * `quiet`: a 401 or a required password change is only thrown, not handled for the page.
 * @param {string} method @param {string} path @param {RequestOptions & {body?: unknown}} [options]
 * @returns {Promise<any>}
 */
export async function api(method, path, { body, params, signal, quiet = false } = {}) {
  /** @type {Record<string, string>} */
  const headers = { Accept: "application/json" };
  const token = csrfToken();
  if (token) headers.Authorization = `CSRF ${token}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(path + query(params), {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
      cache: "no-store",
      signal,
    });
  } catch (error) {
    if (error instanceof Error && error.name === "AbortError") throw error;
    throw new ApiError(0, "network", "");
  }
  const endsIn = response.headers.get("X-Session-Ends-In");
  if (endsIn !== null && response.ok) for (const listener of clockListeners) listener(Number(endsIn));
  let payload = null;
  const text = await response.text();
  if (text) {
    try {
      payload = JSON.parse(text);
    } catch {
      payload = null;
    }
  }
  if (response.ok) return payload;
  const error = payload && payload.error ? payload.error : {};
  const failure = new ApiError(response.status, error.code, error.message, error.details);
  const handled = (response.status === 401) ||
    (response.status === 403 && failure.code === "password_change_required");
  if (handled && !quiet) for (const listener of listeners) listener(failure);
  throw failure;
}

/** @param {string} path @param {QueryParams | null} [params] @param {RequestOptions} [options] */
export const get = (path, params, options = {}) => api("GET", path, { ...options, params });
/** @param {string} path @param {unknown} [body] @param {RequestOptions} [options] */
export const post = (path, body, options = {}) => api("POST", path, { ...options, body: body ?? {} });
/** @param {string} path @param {unknown} body @param {RequestOptions} [options] */
export const put = (path, body, options = {}) => api("PUT", path, { ...options, body });
/** @param {string} path @param {unknown} body @param {RequestOptions} [options] */
export const patch = (path, body, options = {}) => api("PATCH", path, { ...options, body });
