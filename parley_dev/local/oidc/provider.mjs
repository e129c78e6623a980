// The local stack's OpenID provider: the certified `oidc-provider` (npm, pinned by
// package-lock.json), configured for the portal and the demo users. Started and stopped by
// `parley dev` (parley_dev/local/oidc_provider.py), which passes everything in the environment:
//   OIDC_ISSUER   http://127.0.0.1:<port> (this process listens on that port)
//   OIDC_CLIENTS  [{"client_id", "client_secret", "redirect_uris": [...]}]
//   OIDC_USERS    [{"email", "name", "given_name", "family_name", "password", "locale"}]
// Its sign-in page checks the demo users' passwords (oidc-provider's own dev interactions take
// any login), and the portal's client is never asked for consent (a first-party client).
// It ends with its parent: on SIGTERM or SIGINT, or when its stdin closes.

import { createHash, generateKeyPairSync, randomBytes, timingSafeEqual } from "node:crypto";
import { createServer } from "node:http";
import { Provider } from "oidc-provider";

const issuer = process.env.OIDC_ISSUER;
const clients = JSON.parse(process.env.OIDC_CLIENTS || "[]");
const users = new Map(JSON.parse(process.env.OIDC_USERS || "[]").map((u) => [u.email.toLowerCase(), u]));
const { port, hostname } = new URL(issuer);

// A fresh signing key each start: the portal reads the key set from jwks_uri.
const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: "jwk" }), kid: randomBytes(8).toString("hex"), use: "sig", alg: "RS256" };

const provider = new Provider(issuer, {
  clients: clients.map((c) => ({
    ...c, grant_types: ["authorization_code"], response_types: ["code"],
    token_endpoint_auth_method: "client_secret_basic",
  })),
  jwks: { keys: [signingKey] },
  cookies: { keys: [randomBytes(32).toString("hex")] },
  features: { devInteractions: { enabled: false } },
  // The ID token carries the address, as most providers' do with scope "email"
  conformIdTokenClaims: false,
  claims: {
    openid: ["sub"],
    email: ["email", "email_verified"],
    profile: ["name", "given_name", "family_name", "locale"],
  },
  pkce: { required: () => true },
  async findAccount(ctx, id) {
    const user = users.get(String(id).toLowerCase());
    if (!user) return undefined;
    return {
      accountId: user.email,
      async claims() {
        return {
          sub: user.email, email: user.email, email_verified: true, name: user.name,
          given_name: user.given_name, family_name: user.family_name, locale: user.locale || "en",
        };
      },
    };
  },
  // First-party clients only: the grant is given without a consent page.
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope("openid email profile");
    await grant.save();
    return grant;
  },
  renderError(ctx, out) {
    ctx.type = "html";
    ctx.body = page("Sign-in error", `<p class="error">${escape(out.error)}: ${escape(out.error_description || "")}</p>`);
  },
});

function escape(text) {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(title, body) {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escape(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><link rel="icon" href="data:,">
<style>body{font:16px system-ui,sans-serif;background:#eef2f7;display:grid;place-items:center;min-height:100vh;margin:0}
main{background:#fff;padding:2rem;border-radius:12px;box-shadow:0 4px 24px #0002;width:min(360px,90vw)}
label{display:block;margin:.8rem 0 .3rem}input{width:100%;box-sizing:border-box;padding:.5rem;font:inherit}
button{margin-top:1.2rem;width:100%;padding:.6rem;font:inherit;background:#0f766e;color:#fff;border:0;border-radius:6px}
.error{color:#b42318}.muted{color:#555;font-size:.9rem}</style></head>
<body><main><h1>${escape(title)}</h1>${body}</main></body></html>`;
}

function loginPage(uid, clientName, email = "", error = "") {
  return page("Demo SSO", `<p class="muted">Sign in to continue to ${escape(clientName)}.</p>
${error ? `<p class="error" role="alert">${escape(error)}</p>` : ""}
<form method="post" action="/interaction/${escape(uid)}/login">
<label for="email">Email</label><input id="email" name="email" type="email" autocomplete="username" value="${escape(email)}" required autofocus>
<label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">Sign in</button></form>
<p class="muted"><a href="/interaction/${escape(uid)}/abort">Cancel</a></p>`);
}

function samePassword(given, expected) {
  const digest = (value) => createHash("sha256").update(String(value)).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

async function readForm(req) {
  let raw = "";
  for await (const chunk of req) {
    raw += chunk;
    if (raw.length > 10_000) throw new Error("form too large");
  }
  return new URLSearchParams(raw);
}

async function interaction(req, res, uid, action) {
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) throw new Error("interaction mismatch");
  const client = await provider.Client.find(details.params.client_id);
  const clientName = client?.clientName || details.params.client_id;
  if (action === "/abort") {
    await provider.interactionFinished(req, res, { error: "access_denied", error_description: "The person cancelled" },
      { mergeWithLastSubmission: false });
    return;
  }
  if (details.prompt.name !== "login") {
    // Consent for a first-party client: granted (loadExistingGrant gives it; this is a backstop)
    const grant = new provider.Grant({ accountId: details.session.accountId, clientId: details.params.client_id });
    grant.addOIDCScope("openid email profile");
    await provider.interactionFinished(req, res, { consent: { grantId: await grant.save() } },
      { mergeWithLastSubmission: true });
    return;
  }
  if (action === "/login" && req.method === "POST") {
    const form = await readForm(req);
    const email = (form.get("email") || "").trim().toLowerCase();
    const user = users.get(email);
    if (user && samePassword(form.get("password") || "", user.password)) {
      await provider.interactionFinished(req, res, { login: { accountId: user.email } },
        { mergeWithLastSubmission: false });
      return;
    }
    res.writeHead(200, { "Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store" });
    res.end(loginPage(uid, clientName, email, "The email or password is wrong."));
    return;
  }
  res.writeHead(200, { "Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store" });
  res.end(loginPage(uid, clientName));
}

const handle = provider.callback();
const server = createServer((req, res) => {
  const match = /^\/interaction\/([A-Za-z0-9_-]+)(\/login|\/abort)?$/.exec(new URL(req.url, issuer).pathname);
  if (!match) {
    handle(req, res);
    return;
  }
  interaction(req, res, match[1], match[2]).catch((error) => {
    if (res.headersSent) return;
    res.writeHead(400, { "Content-Type": "text/html; charset=utf-8" });
    res.end(page("Sign-in error", `<p class="error">${escape(error.message)}</p><p>Start again from the portal.</p>`));
  });
});

function stop() {
  server.close(() => process.exit(0));
  server.closeAllConnections();
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
process.stdin.on("end", stop);
process.stdin.resume();

server.listen(Number(port), hostname, () => {
  process.stdout.write(`ready ${issuer}\n`);
});
