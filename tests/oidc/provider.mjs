// A real OpenID Connect provider for the tests: the certified `oidc-provider` package from npm
// (package.json, installed by scripts/assets.sh's `npm ci`), on a loopback port.
//
//   node tests/oidc/provider.mjs   with the environment:
//     OIDC_PORT      the port (127.0.0.1 only)
//     OIDC_CLIENTS   JSON list of {client_id, client_secret, redirect_uris}
//     OIDC_ACCOUNTS  JSON object {sub: {email, email_verified, name, organisation}}; a sub not
//                    listed signs in as <sub>@uni.example with a verified email
//
// Its sign-in and consent pages are the package's own development interactions (any login
// name is accepted; the password is ignored). For the refusal tests, POST /__test__/next-token
// with one of "tampered", "wrong-audience", "expired" changes the next ID token the token
// endpoint returns (once): a payload edited without signing again, or one signed again with
// the provider's own key for another audience or already expired, so that only the checks of
// the relying party stand between it and a sign-in.
import http from "node:http";
import Provider from "oidc-provider";
import * as jose from "jose";

const port = Number(process.env.OIDC_PORT);
const issuer = `http://127.0.0.1:${port}`;
const clients = JSON.parse(process.env.OIDC_CLIENTS || "[]");
const accounts = JSON.parse(process.env.OIDC_ACCOUNTS || "{}");

const { privateKey } = await jose.generateKeyPair("RS256", { extractable: true });
const jwk = { ...(await jose.exportJWK(privateKey)), kid: "test-key-1", alg: "RS256", use: "sig" };

const provider = new Provider(issuer, {
  clients: clients.map((c) => ({
    client_id: c.client_id,
    client_secret: c.client_secret,
    redirect_uris: c.redirect_uris,
    grant_types: ["authorization_code"],
    response_types: ["code"],
    token_endpoint_auth_method: "client_secret_post",
  })),
  jwks: { keys: [jwk] },
  pkce: { required: () => true },
  claims: {
    openid: ["sub"],
    email: ["email", "email_verified"],
    profile: ["name", "organisation"],
  },
  features: { devInteractions: { enabled: true } },
  ttl: { IdToken: 300 },
  async findAccount(ctx, sub) {
    const known = accounts[sub] || {};
    return {
      accountId: sub,
      async claims() {
        return {
          sub,
          email: known.email || `${sub}@uni.example`,
          email_verified: known.email_verified ?? true,
          name: known.name || sub,
          ...(known.organisation ? { organisation: known.organisation } : {}),
        };
      },
    };
  },
});

let nextToken = null;

provider.use(async (ctx, next) => {
  await next();
  if (ctx.path !== "/token" || !nextToken || !ctx.body || !ctx.body.id_token) return;
  const mode = nextToken;
  nextToken = null;
  const [header, payload, signature] = ctx.body.id_token.split(".");
  const claims = JSON.parse(Buffer.from(payload, "base64url").toString());
  if (mode === "tampered") {
    claims.sub = "someone-else";
    claims.email = "someone-else@uni.example";
    const edited = Buffer.from(JSON.stringify(claims)).toString("base64url");
    ctx.body = { ...ctx.body, id_token: `${header}.${edited}.${signature}` };
    return;
  }
  const now = Math.floor(Date.now() / 1000);
  if (mode === "wrong-audience") claims.aud = "another-service";
  if (mode === "expired") {
    claims.iat = now - 3600;
    claims.exp = now - 1800;
  }
  const resigned = await new jose.SignJWT(claims)
    .setProtectedHeader({ alg: "RS256", kid: jwk.kid, typ: "JWT" })
    .sign(privateKey);
  ctx.body = { ...ctx.body, id_token: resigned };
});

const callback = provider.callback();
http
  .createServer((req, res) => {
    if (req.method === "POST" && req.url.startsWith("/__test__/next-token/")) {
      nextToken = req.url.split("/").pop();
      res.writeHead(204).end();
      return;
    }
    callback(req, res);
  })
  .listen(port, "127.0.0.1", () => {
    console.log(`oidc-provider listening on ${issuer}`);
  });
