// Signing in. The config decides how: "local" (the local stack signs a token for any seeded user) or "cognito"
// (the stack's user pool, through its hosted sign-in page with the authorization code flow and PKCE).
import { TIMEOUT_MS } from "./api.js";
import { fill, h, said } from "./dom.js";

const TOKEN = "connectability.token";
const USER = "connectability.user";
const VERIFIER = "connectability.pkce";

export function session() {
  const token = sessionStorage.getItem(TOKEN);
  if (!token) return null;
  const who = claims(token);
  return { token, userId: who.sub, user: sessionStorage.getItem(USER) || who.email || who.sub };
}

export function forget() {
  sessionStorage.removeItem(TOKEN);
  sessionStorage.removeItem(USER);
}

function remember(token, user) {
  sessionStorage.setItem(TOKEN, token);
  sessionStorage.setItem(USER, user);
}

/** The claims of a JWT, unverified: only to show who is signed in (the API verifies). */
export function claims(token) {
  try {
    const part = token.split(".")[1].replaceAll("-", "+").replaceAll("_", "/");
    return JSON.parse(atob(part));
  } catch {
    return {};
  }
}

/** The sign-in screen for the configured mode; calls `onSignedIn` once signed in (the page then reloads its view). */
export async function signInView(config, onSignedIn) {
  if (config.auth.mode === "cognito") {
    return h(
      "section",
      { class: "card signin" },
      h("h1", {}, "Sign in"),
      h("p", {}, "Sign in with your Connectability account."),
      h("button", { class: "primary", onclick: () => startHostedSignIn(config.auth) }, "Sign in"),
    );
  }
  const list = h("ul", { class: "users" });
  const problem = h("div", { class: "problem" });
  const filter = h("input", { type: "search", id: "user-filter", placeholder: "Name, id, email or company", autocomplete: "off" });
  let users = [];
  try {
    const answer = await fetch(`${config.api_url}/_local/users`, { signal: AbortSignal.timeout(TIMEOUT_MS) });
    users = (await answer.json()).items;
  } catch {
    list.append(h("li", { class: "muted" }, "The local stack does not answer; start it with `make dev`."));
  }
  const show = () => {
    const words = filter.value.trim().toLowerCase();
    const shown = users.filter((u) =>
      [u.name, u.user_id, u.email, ...(u.companies || [])].some((t) => t && String(t).toLowerCase().includes(words)),
    );
    fill(
      list,
      shown.map((user) => {
        const choose = async () => {
          try {
            const token = await localToken(config.api_url, user.user_id);
            remember(token, user.name || user.user_id);
            onSignedIn();
          } catch (error) {
            fill(problem, h("div", { class: "error", role: "alert" }, error.message));
          }
        };
        return h(
          "li",
          {},
          h(
            "button",
            { class: "user", onclick: choose, dataset: { user: user.user_id } },
            h("strong", {}, said(user.name || user.user_id)),
            h("span", { class: "muted" }, ` ${user.user_id}`),
            user.companies && user.companies.length ? h("span", { class: "companies muted" }, said(user.companies.join(", "))) : null,
          ),
        );
      }),
    );
  };
  filter.addEventListener("input", show);
  if (users.length) show();
  return h(
    "section",
    { class: "card signin" },
    h("h1", {}, "Sign in"),
    h("p", {}, "Local stack: pick any user of the directory. In the cloud this is the user pool's sign-in page."),
    users.length > 8 ? h("p", { class: "filter" }, h("label", { for: "user-filter" }, "Find a user "), filter) : null,
    problem,
    list,
  );
}

async function localToken(apiUrl, userId) {
  const answer = await fetch(`${apiUrl}/_local/tokens`, {
    signal: AbortSignal.timeout(TIMEOUT_MS),
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ user_id: userId }),
  });
  const data = await answer.json();
  if (!answer.ok) throw new Error(data.error ? data.error.message : `The local stack answered ${answer.status}.`);
  return data.token;
}

function base64url(bytes) {
  return btoa(String.fromCharCode(...new Uint8Array(bytes))).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

function redirectUri() {
  return `${location.origin}${location.pathname}`;
}

async function startHostedSignIn(auth) {
  const verifier = base64url(crypto.getRandomValues(new Uint8Array(48)));
  const challenge = base64url(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier)));
  sessionStorage.setItem(VERIFIER, verifier);
  const query = new URLSearchParams({
    response_type: "code",
    client_id: auth.client_id,
    redirect_uri: redirectUri(),
    scope: "openid email",
    code_challenge: challenge,
    code_challenge_method: "S256",
  });
  location.assign(`${auth.domain}/oauth2/authorize?${query}`);
}

/** Back from the hosted sign-in page with ?code=: trade it for tokens, keep the id token (the API's authorizer wants it). */
export async function finishHostedSignIn(config) {
  const code = new URLSearchParams(location.search).get("code");
  if (config.auth.mode !== "cognito" || !code) return;
  history.replaceState(null, "", redirectUri());
  const answer = await fetch(`${config.auth.domain}/oauth2/token`, {
    signal: AbortSignal.timeout(TIMEOUT_MS),
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "authorization_code",
      client_id: config.auth.client_id,
      code,
      redirect_uri: redirectUri(),
      code_verifier: sessionStorage.getItem(VERIFIER) || "",
    }),
  });
  const data = await answer.json();
  if (!answer.ok) throw new Error(`Sign-in failed: ${data.error_description || data.error || answer.status}.`);
  const who = claims(data.id_token);
  remember(data.id_token, who.email || who.sub);
}

export function signOut(config) {
  forget();
  if (config.auth.mode === "cognito") {
    const query = new URLSearchParams({ client_id: config.auth.client_id, logout_uri: redirectUri() });
    location.assign(`${config.auth.domain}/logout?${query}`);
  } else {
    location.reload();
  }
}
