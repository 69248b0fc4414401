import type { FormField } from './form-fields.js';
import { HONEYPOT } from './form-fields.js';
import type { FormSettings } from './form-settings.js';

/** Escapes text for HTML content and attribute values: everything a requester typed is shown inert. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The console's colours and type, inline: the page needs no script and no other request. */
export const STYLE = `
:root { --ink:#1b2330; --muted:#5b6678; --line:#d9dee7; --bg:#f5f7fa; --card:#fff; --accent:#1f4f8f; --danger:#a3222a; --danger-bg:#fdecee; --ok:#1d6b3a; --ok-bg:#e5f5ea;
  font-family: system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif; color: var(--ink); background: var(--bg); }
body { margin: 0; }
header { background: var(--ink); color: #fff; padding: 0.75rem 1rem; font-weight: 600; }
main { max-width: 40rem; margin: 1.5rem auto; padding: 0 1rem; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 1.25rem; }
h1 { font-size: 1.4rem; margin: 0 0 0.5rem; }
p.intro { color: var(--muted); margin: 0 0 1rem; }
.row { margin-bottom: 1rem; }
label { display: block; font-weight: 600; margin-bottom: 0.3rem; }
.req { color: var(--muted); font-weight: 400; }
input, select, textarea { box-sizing: border-box; width: 100%; font: inherit; padding: 0.55rem 0.6rem; border: 1px solid var(--line); border-radius: 6px; background: #fff; color: var(--ink); }
textarea { min-height: 8rem; }
input:focus, select:focus, textarea:focus { outline: 2px solid var(--accent); outline-offset: 1px; }
[aria-invalid="true"] { border-color: var(--danger); }
.error { color: var(--danger); margin: 0.3rem 0 0; }
.summary { background: var(--danger-bg); color: var(--danger); border-radius: 6px; padding: 0.6rem 0.8rem; margin-bottom: 1rem; }
.done { background: var(--ok-bg); color: var(--ok); border-radius: 6px; padding: 0.6rem 0.8rem; margin-bottom: 1rem; }
.hp { position: absolute; left: -10000px; width: 1px; height: 1px; overflow: hidden; }
button { font: inherit; font-weight: 600; background: var(--accent); color: #fff; border: 0; border-radius: 6px; padding: 0.65rem 1.2rem; cursor: pointer; min-height: 44px; }
code { font-family: ui-monospace, Menlo, monospace; background: #f0f2f6; padding: 0 0.25rem; border-radius: 3px; overflow-wrap: anywhere; }
`;

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title><style>${STYLE}</style></head>
<body><header>Latch</header><main><div class="card">${body}</div></main></body></html>`;
}

function input(field: FormField, value: string, error: string | undefined): string {
  const id = `f-${field.name.replace(/[^a-z0-9_-]/gi, '-')}`;
  const common = `id="${id}" name="${escapeHtml(field.name)}"${field.required ? ' required' : ''}${error ? ` aria-invalid="true" aria-describedby="${id}-error"` : ''}`;
  let control: string;
  if (field.kind === 'select') {
    const options = (field.options ?? []).map((o) => `<option value="${escapeHtml(o)}"${o === value ? ' selected' : ''}>${escapeHtml(o)}</option>`).join('');
    control = `<select ${common}><option value="">Choose…</option>${options}</select>`;
  } else if (field.kind === 'textarea') {
    control = `<textarea ${common} maxlength="${field.maxLength}">${escapeHtml(value)}</textarea>`;
  } else {
    const type = field.kind === 'number' ? 'text" inputmode="numeric' : field.kind;
    const autocomplete = field.name === 'email' ? ' autocomplete="email"' : field.name === 'name' ? ' autocomplete="name"' : '';
    control = `<input type="${type}" ${common} maxlength="${field.maxLength}" value="${escapeHtml(value)}"${autocomplete}>`;
  }
  const label = `<label for="${id}">${escapeHtml(field.label)}${field.required ? ' <span class="req">(required)</span>' : ''}</label>`;
  return `<div class="row">${label}${control}${error ? `<p class="error" id="${id}-error">${escapeHtml(error)}</p>` : ''}</div>`;
}

/** The form page; after a refused post, the values sent and a message beside each wrong input. */
export function renderForm(form: FormSettings, fields: readonly FormField[], values: ReadonlyMap<string, string> = new Map(), errors: ReadonlyMap<string, string> = new Map()): string {
  const summary = errors.size > 0 ? `<div class="summary" role="alert">Please correct ${errors.size === 1 ? 'the marked field' : `the ${errors.size} marked fields`}.</div>` : '';
  const honeypot = `<div class="hp" aria-hidden="true"><label for="f-hp">Leave this empty</label><input type="text" id="f-hp" name="${HONEYPOT}" tabindex="-1" autocomplete="off"></div>`;
  return page(
    form.title,
    `<h1>${escapeHtml(form.title)}</h1>${form.intro ? `<p class="intro">${escapeHtml(form.intro)}</p>` : ''}${summary}
<form method="post" action="/forms/${escapeHtml(form.slug)}" accept-charset="utf-8">
${fields.map((f) => input(f, values.get(f.name) ?? '', errors.get(f.name))).join('\n')}
${honeypot}
<button type="submit">Send</button>
</form>`,
  );
}

/** The thank-you page: the reference, and how to follow up by email with it. */
export function renderThanks(form: FormSettings, reference: string): string {
  return page(
    `Received: ${form.title}`,
    `<h1>Thank you</h1><div class="done" role="status">We received your request.</div>
<p>Your reference is <code>${escapeHtml(reference)}</code>.</p>
<p>To add anything, email us from the address you gave with <code>[Latch case ${escapeHtml(reference)}]</code> in the subject: your message joins this request.</p>`,
  );
}

/** A refused post (too large, too many) as a page, with the stable code for support. */
export function renderRefusal(status: number, code: string, message: string): string {
  return page('Not sent', `<h1>Not sent</h1><div class="summary" role="alert">${escapeHtml(message)}</div><p>Error code: <code>${escapeHtml(code)}</code> (HTTP ${status})</p>`);
}
