// The HTTP API /api/v1: JSON in and out, problem+json errors turned into ApiError.
// The login is kept in sessionStorage (per tab, gone when the tab is closed).
import { language } from "./i18n.js";

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

export function makeSession(key) {
  return {
    get() {
      try {
        return JSON.parse(sessionStorage.getItem(key)) || null;
      } catch {
        return null;
      }
    },
    set(value) {
      sessionStorage.setItem(key, JSON.stringify(value));
    },
    clear() {
      sessionStorage.removeItem(key);
    },
  };
}

export function makeApi(session, onUnauthorized) {
  async function request(method, path, body, options = {}) {
    const headers = {
      Accept: "application/json",
      "Accept-Language": language(),
      ...(options.headers || {}),
    };
    const login = session.get();
    if (login?.token) headers.Authorization = `Bearer ${login.token}`;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    let response;
    try {
      response = await fetch(`/api/v1${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (error) {
      throw new ApiError(0, { title: "Network error", detail: String(error.message || error) });
    }
    if (options.raw && response.ok) return response;
    const type = response.headers.get("Content-Type") || "";
    const data = type.includes("json") ? await response.json() : await response.text();
    if (!response.ok) {
      const problem = typeof data === "object" ? data : { title: response.statusText, detail: "" };
      if (response.status === 401 && login && onUnauthorized) onUnauthorized();
      throw new ApiError(response.status, problem);
    }
    return data;
  }
  return {
    get: (path, options) => request("GET", path, undefined, options),
    post: (path, body = {}, options) => request("POST", path, body, options),
    put: (path, body, options) => request("PUT", path, body, options),
    patch: (path, body, options) => request("PATCH", path, body, options),
    del: (path, options) => request("DELETE", path, undefined, options),
    // A binary or HTML answer that needs the token (posters, packing slips): as a blob: URL.
    async blobUrl(path) {
      const response = await request("GET", path, undefined, {
        raw: true,
        headers: { Accept: "*/*" },
      });
      return URL.createObjectURL(await response.blob());
    },
  };
}

export function newKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) =>
    b.toString(16).padStart(2, "0"),
  ).join("");
}
