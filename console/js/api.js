// The public API, and nothing else: every answer that is not a success becomes an ApiError with the API's message.

export class ApiError extends Error {
  constructor(status, code, message, rule = null, details = null) {
    super(message);
    this.status = status;
    this.code = code;
    this.rule = rule;
    this.details = details;
  }
}

export class Api {
  constructor(baseUrl, token, onUnauthenticated = () => {}) {
    this.baseUrl = baseUrl.replace(/\/$/, "");
    this.token = token;
    this.onUnauthenticated = onUnauthenticated;
  }

  async call(method, path, body) {
    const headers = { Authorization: `Bearer ${this.token}` };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    let answer;
    try {
      answer = await fetch(this.baseUrl + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch {
      throw new ApiError(0, "unreachable", `Cannot reach the API at ${this.baseUrl || location.origin}; check that it runs.`);
    }
    if (answer.status === 204) return null;
    const text = await answer.text();
    let data = null;
    try {
      data = text ? JSON.parse(text) : null;
    } catch {
      data = null;
    }
    if (answer.ok) return data;
    const error = data && data.error;
    if (answer.status === 401) this.onUnauthenticated();
    if (error && typeof error.message === "string") {
      throw new ApiError(answer.status, error.code, error.message, error.rule, error.details);
    }
    throw new ApiError(answer.status, "unreadable", `The API answered ${answer.status} ${answer.statusText} without a message.`);
  }

  get(path) {
    return this.call("GET", path);
  }

  post(path, body = {}) {
    return this.call("POST", path, body);
  }

  put(path, body) {
    return this.call("PUT", path, body);
  }

  /** One page of a list: {items, next_token}. */
  page(path, nextToken, limit) {
    const query = new URLSearchParams({ limit: String(limit) });
    if (nextToken) query.set("next_token", nextToken);
    return this.get(`${path}${path.includes("?") ? "&" : "?"}${query}`);
  }
}
