// A real OpenID Provider (the certified `oidc-provider` package) for Caseflow's sign-in tests.
//
//   node server.js            listens on a free loopback port and prints {"issuer": ...} once ready
//
// The provider itself is not changed. What the tests control, through /__test/* on the same
// port (loopback only, never part of a deployment):
//   POST /__test/accounts  {"people": [{"login", "email", "email_verified", "name", "hd", "tid"}]}
//   POST /__test/clock     {"now_ms": <epoch ms>}  the provider's clock follows the test's clock
// Clients register themselves by standard Dynamic Client Registration (POST /reg).

import http from 'node:http';

import { exportJWK, generateKeyPair } from 'jose';
import Provider from 'oidc-provider';

// The test's clock: the suite runs on a frozen clock (and CI under faketime), so every date the
// provider writes (iat, exp, cookie expiry) is taken from a clock the tests move.
const RealDate = Date;
let offsetMs = 0;
class TestDate extends RealDate {
  constructor(...args) {
    if (args.length === 0) super(RealDate.now() + offsetMs);
    else super(...args);
  }
  static now() {
    return RealDate.now() + offsetMs;
  }
}
globalThis.Date = TestDate;

const people = new Map(); // login (e-mail as typed at the provider) -> claims

function readJson(req) {
  return new Promise((resolve, reject) => {
    let body = '';
    req.on('data', (chunk) => { body += chunk; });
    req.on('end', () => {
      try { resolve(body ? JSON.parse(body) : {}); } catch (err) { reject(err); }
    });
  });
}

function readForm(req) {
  return new Promise((resolve) => {
    let body = '';
    req.on('data', (chunk) => { body += chunk; });
    req.on('end', () => resolve(new URLSearchParams(body)));
  });
}

function escapeHtml(value) {
  return String(value).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function send(res, status, type, body) {
  res.writeHead(status, { 'Content-Type': type, 'Cache-Control': 'no-store' });
  res.end(body);
}

const { privateKey } = await generateKeyPair('RS256', { extractable: true });
const signingKey = { ...(await exportJWK(privateKey)), kid: 'test-signing-key', alg: 'RS256', use: 'sig' };

const server = http.createServer();
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;

const provider = new Provider(issuer, {
  jwks: { keys: [signingKey] },
  cookies: { keys: ['caseflow-test-provider-cookie-key'] },
  features: {
    devInteractions: { enabled: false },
    registration: { enabled: true },
    rpInitiatedLogout: { enabled: true },
  },
  // PKCE is required of every client, so a client that forgot it fails here.
  pkce: { required: () => true },
  // The ID token carries the scope's claims (as Google's and Entra's do).
  conformIdTokenClaims: false,
  claims: {
    openid: ['sub', 'hd', 'tid'],
    email: ['email', 'email_verified'],
    profile: ['name'],
  },
  async findAccount(ctx, id) {
    const person = people.get(id);
    if (!person) return undefined;
    return {
      accountId: id,
      async claims() {
        const claims = { sub: id };
        for (const key of ['email', 'email_verified', 'name', 'hd', 'tid']) {
          if (person[key] !== undefined && person[key] !== null) claims[key] = person[key];
        }
        return claims;
      },
    };
  },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
});
provider.on('server_error', (ctx, err) => console.error('provider server_error', err));

const providerCallback = provider.callback();

async function interaction(req, res, uid, action) {
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) return send(res, 400, 'text/plain', 'interaction mismatch');
  if (action === 'show') {
    return send(res, 200, 'text/html', `<!doctype html><title>Test identity provider</title>
<h1>Test identity provider</h1>
<form method="post" action="/interaction/${escapeHtml(uid)}/login">
  <label>Account <input name="login" autocomplete="username"></label>
  <button type="submit">Continue</button>
</form>
<form method="post" action="/interaction/${escapeHtml(uid)}/abort"><button type="submit">Cancel</button></form>`);
  }
  if (action === 'abort') {
    return provider.interactionFinished(req, res, {
      error: 'access_denied',
      error_description: 'End-User aborted interaction',
    }, { mergeWithLastSubmission: false });
  }
  const form = await readForm(req);
  const login = (form.get('login') || '').trim();
  if (!people.has(login)) return send(res, 200, 'text/html', '<p>No such test account.</p>');
  const { params } = details;
  const grant = new provider.Grant({ accountId: login, clientId: params.client_id });
  grant.addOIDCScope(String(params.scope));
  const grantId = await grant.save();
  return provider.interactionFinished(req, res, {
    login: { accountId: login },
    consent: { grantId },
  }, { mergeWithLastSubmission: false });
}

server.on('request', async (req, res) => {
  const url = new URL(req.url, issuer);
  try {
    if (req.method === 'POST' && url.pathname === '/__test/accounts') {
      const body = await readJson(req);
      people.clear();
      for (const person of body.people || []) people.set(person.login || person.email, person);
      return send(res, 200, 'application/json', '{"ok":true}');
    }
    if (req.method === 'POST' && url.pathname === '/__test/clock') {
      const body = await readJson(req);
      offsetMs = Number(body.now_ms) - RealDate.now();
      return send(res, 200, 'application/json', JSON.stringify({ offset_ms: offsetMs }));
    }
    const match = url.pathname.match(/^\/interaction\/([^/]+)(?:\/(login|abort))?$/);
    if (match) {
      const action = match[2] || 'show';
      if ((action === 'show') !== (req.method === 'GET')) return send(res, 405, 'text/plain', 'method');
      return await interaction(req, res, match[1], action);
    }
    return providerCallback(req, res);
  } catch (err) {
    console.error(err);
    if (!res.headersSent) send(res, 500, 'text/plain', String(err && err.message));
  }
});

process.stdout.write(`${JSON.stringify({ issuer })}\n`);
