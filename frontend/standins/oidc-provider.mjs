// A stand-in for the national single sign-on (VNeID through the portal's Keycloak realm): a real OpenID provider
// (the `oidc-provider` package) on the loopback interface, for development and the tests. Never for production.
//
//   node frontend/standins/oidc-provider.mjs
// Settings (environment): OIDC_PORT (0: any free port), OIDC_HOST (127.0.0.1), OIDC_CLIENTS (JSON list of
// {client_id, client_secret, redirect_uris, post_logout_redirect_uris?}), OIDC_ACCOUNTS (a JSON file of demo
// accounts, see connectors/identity/mapping/standin_accounts.json). Prints one line `listening <issuer>` when ready.
// The login page lists the demo accounts (pick one or type its personal id / tax code); "Hủy" answers
// access_denied. PKCE (S256) is required of every client.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import Provider from 'oidc-provider';

const host = process.env.OIDC_HOST || '127.0.0.1';
const clients = JSON.parse(process.env.OIDC_CLIENTS || '[]');
const accounts = JSON.parse(readFileSync(process.env.OIDC_ACCOUNTS, 'utf8')).accounts;
const CLAIMS = ['TechID', 'LoaiTaiKhoan', 'HoVaTen', 'SoDinhDanh', 'SoCMND', 'NgayThangNamSinh', 'DiaChi',
  'SoDienThoai', 'ThuDienTu', 'MaSoThue', 'MaSoDoanhNghiep', 'TenDoanhNghiep', 'loginIdp', 'preferred_username',
  'name'];

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const jwk = { ...privateKey.export({ format: 'jwk' }), kid: randomBytes(8).toString('hex'), use: 'sig', alg: 'RS256' };

const escape = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const find = (id) => accounts.find((a) => a.sub === id || a.SoDinhDanh === id || a.MaSoThue === id
  || a.preferred_username === id);

function loginPage(uid, client, problem) {
  const rows = accounts.map((a) => `<li><button name="account" value="${escape(a.sub)}" data-account="${escape(a.MaSoThue || a.SoDinhDanh || a.preferred_username)}">
    ${escape(a.TenDoanhNghiep || a.HoVaTen || a.preferred_username)} · ${escape(a.MaSoThue ? 'MST ' + a.MaSoThue : a.SoDinhDanh || '')}</button></li>`).join('');
  return `<!doctype html><html lang="vi"><head><meta charset="utf-8"><title>VNeID (máy chủ giả lập)</title></head>
<body><p><strong>Máy chủ giả lập VNeID (stand-in) — chỉ dùng để phát triển và kiểm thử.</strong></p>
<h1>Đăng nhập bằng tài khoản định danh điện tử</h1><p>Ứng dụng: ${escape(client)}</p>
${problem ? `<p role="alert" data-problem>${escape(problem)}</p>` : ''}
<form method="post" action="/interaction/${escape(uid)}/login">
<ul data-accounts>${rows}</ul>
<label>Số định danh cá nhân hoặc mã số thuế <input name="login" autocomplete="off"></label>
<button type="submit" name="account" value="" data-typed>Đăng nhập</button>
<button type="submit" name="cancel" value="1" formnovalidate data-cancel>Hủy</button>
</form></body></html>`;
}

async function readForm(req) {
  let body = '';
  for await (const chunk of req) { body += chunk; if (body.length > 10000) break; }
  return Object.fromEntries(new URLSearchParams(body));
}

async function interaction(provider, req, res) {
  const details = await provider.interactionDetails(req, res);
  if (req.method === 'GET') {
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    return res.end(loginPage(details.uid, details.params.client_id));
  }
  const form = await readForm(req);
  if (form.cancel) {
    return provider.interactionFinished(req, res, { error: 'access_denied', error_description: 'the user cancelled' },
      { mergeWithLastSubmission: false });
  }
  const account = find(form.account || (form.login || '').trim());
  if (!account) {
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    return res.end(loginPage(details.uid, details.params.client_id, 'Không có tài khoản này.'));
  }
  const grant = new provider.Grant({ accountId: account.sub, clientId: details.params.client_id });
  grant.addOIDCScope(String(details.params.scope || 'openid'));
  if (details.params.claims) grant.addOIDCClaims(Object.keys(JSON.parse(details.params.claims).userinfo || {}));
  const grantId = await grant.save();
  return provider.interactionFinished(req, res, { login: { accountId: account.sub }, consent: { grantId } },
    { mergeWithLastSubmission: false });
}

const server = http.createServer();
server.listen(Number(process.env.OIDC_PORT || 0), host, () => {
  const issuer = `http://${host}:${server.address().port}`;
  const provider = new Provider(issuer, {
    clients: clients.map((c) => ({ grant_types: ['authorization_code'], response_types: ['code'], ...c })),
    jwks: { keys: [jwk] },
    cookies: { keys: [randomBytes(32).toString('hex')] },
    claims: { openid: ['sub'], profile: CLAIMS },
    findAccount: (ctx, id) => {
      const account = find(id);
      return account && { accountId: account.sub, claims: () => ({ ...account }) };
    },
    features: { devInteractions: { enabled: false }, rpInitiatedLogout: { enabled: true } },
    pkce: { required: () => true },
    interactions: { url: (ctx, i) => `/interaction/${i.uid}` },
    discovery: { standin: true },
    ttl: { AccessToken: 600, AuthorizationCode: 60, IdToken: 600, Interaction: 600, Session: 3600, Grant: 3600 },
  });
  const handle = provider.callback();
  server.on('request', (req, res) => {
    if (req.url.startsWith('/interaction/')) {
      interaction(provider, req, res).catch((err) => {
        res.writeHead(400, { 'Content-Type': 'text/plain; charset=utf-8' });
        res.end(`interaction failed: ${err.message}`);
      });
    } else if (req.url === '/health') {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end('{"status":"ok","standin":true}');
    } else {
      handle(req, res);
    }
  });
  process.stdout.write(`listening ${issuer}\n`);
});
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => server.close(() => process.exit(0)));
