// The snippets of the Texts and look page (admin-look.js, docs/admin.md): the tag that embeds the widget on the
// brand's pages, and the identity signature the brand's server computes for a logged-in customer, in Python and in
// JavaScript (Node). Both compute exactly chalicelib/domain/identity.py's signature: hex HMAC-SHA256, keyed with the
// tenant's identity secret, of the JSON {"email", "external_id", "name"} with sorted keys, no spaces, UTF-8.
// tests/unit/test_admin_look_snippets.py runs both and checks that the server accepts what they sign: keep these
// literals free of backticks and "${".

export const PYTHON_SIGNING = String.raw`import hashlib
import hmac
import json


def signed_identity(secret: str, external_id: str, name: str = "", email: str = "") -> dict[str, str]:
    """The identity to hand to the widget (window.guichetContext.identity) for a logged-in customer."""
    canonical = json.dumps({"email": email, "external_id": external_id, "name": name}, sort_keys=True,
                           separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    signature = hmac.new(secret.encode("utf-8"), canonical, hashlib.sha256).hexdigest()
    return {"external_id": external_id, "name": name, "email": email, "signature": signature}
`;

export const NODE_SIGNING = String.raw`const crypto = require('node:crypto');

// The identity to hand to the widget (window.guichetContext.identity) for a logged-in customer.
function signedIdentity(secret, externalId, name = '', email = '') {
  // Keys in sorted order (email, external_id, name), no spaces: JSON.stringify writes them as given.
  const canonical = JSON.stringify({ email, external_id: externalId, name });
  const signature = crypto.createHmac('sha256', Buffer.from(secret, 'utf8'))
    .update(Buffer.from(canonical, 'utf8')).digest('hex');
  return { external_id: externalId, name, email, signature };
}

module.exports = { signedIdentity };
`;

// The tag for the brand's pages. widgetBase: where the widget's files are served (this console's origin); api, ws:
// the deployment's endpoints, named only when they are not the widget's own origin (the widget's defaults).
export function embedSnippet({ tenant, widgetBase, api, ws }) {
  const attributes = [`src="${widgetBase}/widget/widget.js"`, `data-tenant="${tenant}"`];
  if (api && new URL(api).origin !== new URL(widgetBase).origin) {
    attributes.push(`data-api="${api}"`);
    if (ws) attributes.push(`data-ws="${ws}"`);
  }
  return `<script ${attributes.join('\n        ')}></script>`;
}
