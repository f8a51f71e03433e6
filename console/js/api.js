// The public API, and nothing else: every answer that is not a success becomes an ApiError with the API's message.
// Every request has a deadline; every id that goes into a path is encoded (use the `path` tag).

export const TIMEOUT_MS = 20_000;

export class ApiError extends Error {
  constructor(status, code, message, rule = null, details = null) {
    super(message);
    this.status = status;
    this.code = code;
    this.rule = rule;
    this.details = details;
  }
}

/** A path whose interpolated values are encoded: path`/projects/${id}/drawings`. */
export function path(strings, ...values) {
  return strings.reduce((out, part, i) => out + part + (i < values.length ? encodeURIComponent(String(values[i])) : ""), "");
}

/** A query string from an object, leaving out empty values: "?a=1&b=x" or "". */
export function query(params) {
  const q = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== null && value !== undefined && value !== "" && value !== false) q.set(key, String(value));
  }
  const text = q.toString();
  return text ? `?${text}` : "";
}

export class Api {
  constructor(baseUrl, token, onUnauthenticated = () => {}, timeoutMs = null) {
    this.baseUrl = baseUrl.replace(/\/$/, "");
    this.token = token;
    this.onUnauthenticated = onUnauthenticated;
    this.timeoutMs = timeoutMs || TIMEOUT_MS;
  }

  async call(method, where, body, signal) {
    const { answer, text } = await this.send(method, where, body, signal);
    if (answer.status === 204) return null;
    return this.read(answer, text);
  }

  /** A text answer (a CSV page) and the next page's token from its `Next-Token` header. */
  async text(where, signal) {
    const { answer, text } = await this.send("GET", where, undefined, signal);
    if (!answer.ok) this.read(answer, text);
    return { text, nextToken: answer.headers.get("Next-Token") };
  }

  /** The request, with the token and a deadline: the answer and its text, or an ApiError if none came. */
  async send(method, where, body, signal) {
    const headers = { Authorization: `Bearer ${this.token}` };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), this.timeoutMs);
    const stop = () => deadline.abort();
    if (signal) signal.addEventListener("abort", stop);
    try {
      const answer = await fetch(this.baseUrl + where, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: deadline.signal,
      });
      return { answer, text: answer.status === 204 ? "" : await answer.text() };
    } catch {
      if (signal && signal.aborted) throw new ApiError(0, "aborted", "Cancelled.");
      if (deadline.signal.aborted) {
        throw new ApiError(0, "timeout", `The API did not answer within ${Math.round(this.timeoutMs / 1000)} seconds.`);
      }
      throw new ApiError(0, "unreachable", `Cannot reach the API at ${this.baseUrl || location.origin}; check that it runs.`);
    } finally {
      clearTimeout(timer);
      if (signal) signal.removeEventListener("abort", stop);
    }
  }

  /** A JSON answer's data, or its refusal as an ApiError with the API's message. */
  read(answer, text) {
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

  get(where, signal) {
    return this.call("GET", where, undefined, signal);
  }

  post(where, body = {}) {
    return this.call("POST", where, body);
  }

  put(where, body) {
    return this.call("PUT", where, body);
  }

  patch(where, body) {
    return this.call("PATCH", where, body);
  }

  delete(where) {
    return this.call("DELETE", where);
  }

  /** One page of a list: {items, next_token}. */
  page(where, nextToken, limit, signal) {
    const extra = query({ limit, next_token: nextToken });
    return this.get(`${where}${where.includes("?") ? `&${extra.slice(1)}` : extra}`, signal);
  }

  /** Every item of a list, page after page (limit 200 each). */
  async all(where, signal) {
    const items = [];
    let token = null;
    do {
      const page = await this.page(where, token, 200, signal);
      items.push(...page.items);
      token = page.next_token;
    } while (token);
    return items;
  }
}
