/* Doudi's one API client, shared by every page (supervisors' page, desk pages, field app).
 *
 * One sign-in: the tokens live in localStorage under one set of keys, so signing in on one
 * page signs in every page of this origin (and a new tab). The access token is refreshed
 * once when a call answers 401 (one refresh at a time, however many calls wait on it); a
 * refresh that fails raises `Doudi.SignedOut` and fires the `doudi:signed-out` event, and a
 * page keeps what was typed and asks the user to sign in again (it never reloads).
 *
 * Errors: every non-2xx answer raises `Doudi.ApiError` with the problem+json document, the
 * 422 field errors (`fieldErrors`, keyed by field path, as the server sends them) and a
 * Chinese `message` a page can show as is.
 *
 * Plain browser JavaScript (ES2017), no build step, no module syntax: loaded with
 * <script src="/static/common/api.js"> before the page's own script.
 */
(function (global) {
  "use strict";

  const API = "/api/v1";
  const KEYS = { access: "doudi.access", refresh: "doudi.refresh", device: "doudi.device", me: "doudi.me" };

  const STATUS_MESSAGES = {
    400: "请求格式有误",
    403: "没有权限进行此操作",
    404: "记录不存在，或不在您的辖区内",
    409: "记录已被修改或已存在，请刷新后再试",
    413: "内容太大",
    415: "内容格式不被接受",
    422: "填写的内容有误，请检查标红的项目",
    429: "操作太频繁，请稍后再试",
    500: "服务器出错，请稍后再试",
    503: "服务暂时不可用，请稍后再试",
  };

  class ApiError extends Error {
    constructor(status, problem) {
      const detail = (problem && (problem.detail || problem.title)) || "";
      super(STATUS_MESSAGES[status] || (status >= 500 ? STATUS_MESSAGES[500] : "请求失败（" + status + "）"));
      this.name = "ApiError";
      this.status = status;
      this.problem = problem || {};
      this.detail = detail; // the server's own words (English), for a "details" line or logs
      this.fieldErrors = (problem && problem.errors) || {};
      this.requestId = problem && problem.request_id;
    }
  }

  class SignedOut extends Error {
    constructor() {
      super("登录已过期，请重新登录；您填写的内容仍保留在页面上");
      this.name = "SignedOut";
    }
  }

  class Offline extends Error {
    constructor() {
      super("网络不可用，请稍后再试");
      this.name = "Offline";
    }
  }

  const store = global.localStorage;

  // This browser's device id: random, kept for good, so that its refresh token is bound to it
  // and sign-in throttling trusts it once it has signed in (docs/accounts.md).
  function deviceId() {
    let id = store.getItem(KEYS.device);
    if (!id) {
      // getRandomValues, unlike randomUUID, works on plain-HTTP pages and older Safari.
      const bytes = crypto.getRandomValues(new Uint8Array(16));
      id = "web-" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
      store.setItem(KEYS.device, id);
    }
    return id;
  }

  function tokens() {
    return { access: store.getItem(KEYS.access) || "", refresh: store.getItem(KEYS.refresh) || "" };
  }

  function storeTokens(answer) {
    store.setItem(KEYS.access, answer.access_token);
    if (answer.refresh_token) store.setItem(KEYS.refresh, answer.refresh_token);
  }

  function forget() {
    store.removeItem(KEYS.access);
    store.removeItem(KEYS.refresh);
    store.removeItem(KEYS.me);
  }

  async function problemOf(response) {
    try {
      return await response.json();
    } catch (_e) {
      return null; // not JSON (a proxy's page, an empty body)
    }
  }

  async function rawFetch(path, init) {
    try {
      return await fetch(API + path, init);
    } catch (_e) {
      throw new Offline();
    }
  }

  let refreshing = null; // one refresh at a time: concurrent 401s wait on the same one

  function refresh() {
    if (!refreshing) {
      refreshing = (async () => {
        const refreshToken = tokens().refresh;
        if (!refreshToken) return false;
        const response = await rawFetch("/auth/refresh", {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ refresh_token: refreshToken, device_id: deviceId() }),
        });
        if (!response.ok) return false;
        storeTokens(await response.json());
        return true;
      })().finally(() => {
        refreshing = null;
      });
    }
    return refreshing;
  }

  function signedOut() {
    forget();
    global.dispatchEvent(new CustomEvent("doudi:signed-out"));
    return new SignedOut();
  }

  // call(path, {method, json, body, headers, query}) -> Response (2xx), else throws.
  async function call(path, options) {
    options = options || {};
    if (options.query) {
      const params = new URLSearchParams();
      for (const [key, value] of Object.entries(options.query)) {
        if (value !== undefined && value !== null && value !== "") params.set(key, value);
      }
      const text = params.toString();
      if (text) path += (path.includes("?") ? "&" : "?") + text;
    }
    const send = async () => {
      const headers = Object.assign({}, options.headers || {});
      const access = tokens().access;
      if (access) headers.Authorization = "Bearer " + access;
      let body = options.body;
      if (options.json !== undefined) {
        headers["Content-Type"] = "application/json";
        body = JSON.stringify(options.json);
      }
      return rawFetch(path, { method: options.method || "GET", headers, body });
    };
    let response = await send();
    if (response.status === 401) {
      if (!(await refresh())) throw signedOut();
      response = await send();
      if (response.status === 401) throw signedOut();
    }
    if (!response.ok) throw new ApiError(response.status, await problemOf(response));
    return response;
  }

  async function getJson(path, query) {
    return (await call(path, { query })).json();
  }

  async function sendJson(method, path, json) {
    const response = await call(path, { method, json });
    return response.status === 204 ? null : response.json();
  }

  // Sign in: resolves to the caller (GET /me), throws ApiError (401 wrong password, 429
  // throttled: `retryAfter` seconds) or Offline.
  async function signIn(username, password) {
    const response = await rawFetch("/auth/login", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ username, password, device_id: deviceId() }),
    });
    if (!response.ok) {
      const error = new ApiError(response.status, await problemOf(response));
      if (response.status === 401) error.message = "用户名或密码错误";
      if (response.status === 429) {
        error.retryAfter = Number(response.headers.get("Retry-After")) || null;
        error.message = error.retryAfter
          ? "尝试次数过多，请 " + error.retryAfter + " 秒后再试"
          : STATUS_MESSAGES[429];
      }
      throw error;
    }
    storeTokens(await response.json());
    return me(true);
  }

  async function signOut() {
    try {
      if (tokens().access) await rawFetch("/auth/logout", { method: "POST", headers: { Authorization: "Bearer " + tokens().access } });
    } catch (_e) {
      /* offline: the tokens are forgotten here all the same */
    }
    forget();
  }

  // The caller (GET /me), kept for pages that open offline; `fresh` asks the server.
  async function me(fresh) {
    if (!fresh) {
      const kept = store.getItem(KEYS.me);
      if (kept) return JSON.parse(kept);
    }
    const caller = await getJson("/me");
    store.setItem(KEYS.me, JSON.stringify(caller));
    return caller;
  }

  function signedIn() {
    return Boolean(tokens().access || tokens().refresh);
  }

  // A list shows the answer to its newest request only. Filters and areas change faster
  // than a loaded server answers, and an older answer arriving last would put its rows and
  // its count in the newer list (the supervisors' page once said the county's whole task
  // queue was unassigned). `ticket("tasks")` numbers a fresh load; `ticket("tasks", true)`
  // (the next page of the same list) keeps the number, so a fresh load drops it too. After
  // each await: `if (!mine.current()) return;`.
  const asked = {};
  function ticket(list, samePage) {
    if (!samePage || !asked[list]) asked[list] = (asked[list] || 0) + 1;
    const number = asked[list];
    return { current: () => asked[list] === number };
  }

  global.Doudi = Object.assign(global.Doudi || {}, {
    API,
    ApiError,
    SignedOut,
    Offline,
    deviceId,
    call,
    getJson,
    sendJson,
    refresh,
    signIn,
    signOut,
    signedIn,
    me,
    ticket,
    accessToken: () => tokens().access,
  });
})(window);
