// The one way pages talk to the API. The session lives in an HttpOnly cookie the page never
// sees; every request proves it comes from this page with `Authorization: CSRF <token>`, the
// token being kept in sessionStorage (never the session token itself).

const CSRF_KEY = "parley.csrf";
const listeners = new Set();
const clockListeners = new Set();

export class ApiError extends Error {
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

export function setCsrfToken(token) {
  try {
    if (token) sessionStorage.setItem(CSRF_KEY, token);
    else sessionStorage.removeItem(CSRF_KEY);
  } catch {
    // storage unavailable (private mode quirks): the session then lasts for this page only
  }
}

/** Called with (error) for refusals every page handles the same way. */
export function onAuthProblem(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Called with the seconds the session has left without activity, from every signed-in answer
 * (the server's X-Session-Ends-In): the page warns before it ends without trusting its clock. */
export function onSessionClock(listener) {
  clockListeners.add(listener);
  return () => clockListeners.delete(listener);
}

function query(params) {
  if (!params) return "";
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== "") search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : "";
}

export async function api(method, path, { body, params, signal, quiet = false } = {}) {
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
    if (error.name === "AbortError") throw error;
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

export const get = (path, params, options = {}) => api("GET", path, { ...options, params });
export const post = (path, body, options = {}) => api("POST", path, { ...options, body: body ?? {} });
export const put = (path, body, options = {}) => api("PUT", path, { ...options, body });
export const patch = (path, body, options = {}) => api("PATCH", path, { ...options, body });
