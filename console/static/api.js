// The console server's bridge to kitd: unary calls as JSON POSTs, streams as WebSockets.

export class DaemonError extends Error {
  constructor(error) {
    super(error.message);
    this.code = error.code;
    this.reason = error.reason;
    this.metadata = error.metadata || {};
  }
}

export async function call(method, body = {}) {
  const response = await fetch(`/api/call/${method}`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  if (response.status === 401) {
    // The console restarted (a new secret) or this browser never logged in.
    location.assign("/login");
  }
  let data;
  try {
    data = await response.json();
  } catch {
    throw new DaemonError({ code: "UNAVAILABLE", message: `${method}: HTTP ${response.status}`, reason: "" });
  }
  if (!response.ok) throw new DaemonError(data.error);
  return data;
}

export function openSocket(path) {
  const url = new URL(path, location.href);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  return new WebSocket(url);
}
