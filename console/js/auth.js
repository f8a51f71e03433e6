// Signing in. The config decides how: "local" (the local stack signs a token for any seeded user) or "cognito"
// (the stack's user pool, through its hosted sign-in page with the authorization code flow and PKCE).
import { h } from "./dom.js";

const TOKEN = "connectability.token";
const USER = "connectability.user";
const VERIFIER = "connectability.pkce";

export function session() {
  const token = sessionStorage.getItem(TOKEN);
  return token ? { token, user: sessionStorage.getItem(USER) || claims(token).email || claims(token).sub } : null;
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

/** The sign-in screen for the configured mode; resolves once signed in (the page then reloads its view). */
export async function signInView(config, onSignedIn, showError) {
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
  try {
    const answer = await fetch(`${config.api_url}/_local/users`);
    const users = (await answer.json()).items;
    for (const user of users) {
      const choose = async () => {
        try {
          const token = await localToken(config.api_url, user.user_id);
          remember(token, `${user.name} (${user.user_id})`);
          onSignedIn();
        } catch (error) {
          showError(error);
        }
      };
      list.append(
        h("li", {}, h("button", { class: "user", onclick: choose, dataset: { user: user.user_id } },
          h("strong", {}, user.name), h("span", { class: "muted" }, ` ${user.user_id}`))),
      );
    }
  } catch {
    list.append(h("li", { class: "muted" }, "The local stack does not answer; start it with `make dev`."));
  }
  return h(
    "section",
    { class: "card signin" },
    h("h1", {}, "Sign in"),
    h("p", {}, "Local stack: pick any seeded user. In the cloud this is the user pool's sign-in page."),
    list,
  );
}

async function localToken(apiUrl, userId) {
  const answer = await fetch(`${apiUrl}/_local/tokens`, {
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
