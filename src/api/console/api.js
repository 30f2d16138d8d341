// The console's only door to roomgate: the public /api/v1 routes with the host's bearer
// token, and WebSocket streams that reconnect on their own.

const TOKEN_KEY = "roomgate.token";

export const token = {
  get: () => sessionStorage.getItem(TOKEN_KEY),
  set: (t) => sessionStorage.setItem(TOKEN_KEY, t),
  clear: () => sessionStorage.removeItem(TOKEN_KEY),
};

/** An API refusal, carrying its RFC 9457 problem body. */
export class ApiError extends Error {
  constructor(problem) {
    super(problem.detail || problem.title || `HTTP ${problem.status}`);
    this.problem = problem;
  }
}

/** Called when the server refuses the token (401); set by main.js. */
export let onUnauthorized = () => {};
export function setUnauthorizedHandler(f) {
  onUnauthorized = f;
}

/** One JSON request; answers the body (null when empty) or throws an ApiError. */
export async function api(method, path, body) {
  const init = { method, headers: { Authorization: `Bearer ${token.get()}` } };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(`/api/v1${path}`, init);
  } catch (e) {
    throw new ApiError({ title: "roomgate is unreachable", detail: String(e), status: 0 });
  }
  const text = await res.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = { detail: text };
  }
  if (res.ok) return data;
  if (res.status === 401) onUnauthorized();
  throw new ApiError({ status: res.status, title: res.statusText, ...(data || {}) });
}

/** Shows a message for a few seconds; `problem` renders an RFC 9457 body. */
export function toast(message, kind = "info") {
  const box = document.getElementById("toasts");
  const el = document.createElement("div");
  el.className = `toast ${kind}`;
  el.textContent = message;
  box.append(el);
  setTimeout(() => el.remove(), kind === "error" ? 8000 : 4000);
}

export function showError(e) {
  const p = e instanceof ApiError ? e.problem : { title: "Error", detail: String(e) };
  const field = p.field ? ` (field: ${p.field})` : "";
  toast(`${p.status ? p.status + " " : ""}${p.title}: ${p.detail}${field}`, "error");
}

/**
 * Follows a WebSocket stream under /api/v1. `url()` is asked for the path at every (re)connect,
 * so a caller can resume with `?since=`. Reconnects after a drop, waiting longer each time; a
 * close with code 1000 (the server is done, e.g. the meeting ended) is final.
 * Answers an object whose `close()` stops it.
 */
export function follow(url, { onMessage, onOpen = () => {}, onDrop = () => {} }) {
  let ws = null;
  let stopped = false;
  let delay = 500;
  let timer = null;
  const connect = () => {
    const path = url();
    const sep = path.includes("?") ? "&" : "?";
    const proto = location.protocol === "https:" ? "wss" : "ws";
    // Browsers cannot put headers on a WebSocket; the API takes the token as a parameter.
    ws = new WebSocket(
      `${proto}://${location.host}/api/v1${path}${sep}access_token=${encodeURIComponent(token.get())}`,
    );
    ws.onopen = () => {
      delay = 500;
      onOpen();
    };
    ws.onmessage = (m) => {
      let data;
      try {
        data = JSON.parse(m.data);
      } catch {
        return;
      }
      onMessage(data);
    };
    ws.onclose = (c) => {
      if (stopped || c.code === 1000) return;
      onDrop(c);
      timer = setTimeout(connect, delay);
      delay = Math.min(delay * 2, 10000);
    };
  };
  connect();
  return {
    close() {
      stopped = true;
      clearTimeout(timer);
      ws?.close();
    },
  };
}

/** `h("div.card", {onclick}, child, …)`: a small element builder. */
export function h(tag, attrs = {}, ...children) {
  const [name, ...classes] = tag.split(".");
  const el = document.createElement(name);
  if (classes.length) el.className = classes.join(" ");
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "dataset") Object.assign(el.dataset, v);
    else if (k in el && typeof v !== "string") el[k] = v;
    else el.setAttribute(k, v === true ? "" : v);
  }
  el.append(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
  return el;
}
