import { usePlugins } from '../../api/admin';
import { Badge } from '../../components/Badge';
import { ErrorNotice } from '../../components/ErrorNotice';
import { InertValue } from '../../components/Inert';

const STATE_TONE: Record<string, string> = { ready: 'ok', starting: 'warn', down: 'danger', failed: 'danger' };

/** The deployment's plugins: manifest, version and health (state, restarts, last error). No secrets reach this page. */
export function PluginsScreen() {
  const plugins = usePlugins();
  const items = plugins.data?.items ?? [];

  return (
    <>
      <h1>Plugins</h1>
      <p className="hint">Configured in plugins.yaml; each runs as its own supervised process. Secret values are never shown, only their names.</p>
      <ErrorNotice error={plugins.error} />
      {plugins.data && items.length === 0 && <p className="muted">No plugins are configured.</p>}
      {items.map((p) => (
        <article key={p.id} className="panel plugin-card" aria-labelledby={`plugin-${p.id}`} data-state={p.state}>
          <header>
            <h2 id={`plugin-${p.id}`}>{p.name}</h2>
            <code>
              {p.id}@{p.version}
            </code>
            <Badge tone={STATE_TONE[p.state ?? ''] ?? 'plain'}>{p.state ?? 'unknown'}</Badge>
            <span className="muted">
              protocol {p.protocolVersion} · {p.restarts} restart{p.restarts === 1 ? '' : 's'}
            </span>
          </header>
          {p.description && <p>{p.description}</p>}
          {p.lastError && (
            <div className="notice error">
              <strong>Last error: </strong>
              <InertValue value={p.lastError} />
            </div>
          )}
          <dl className="fields">
            <div>
              <dt>Actions</dt>
              <dd>{(p.actions ?? []).map((a) => `${a.title} (${a.name})`).join(', ') || 'none'}</dd>
            </div>
            <div>
              <dt>Case types</dt>
              <dd>{(p.caseTypes ?? []).join(', ') || 'none'}</dd>
            </div>
            <div>
              <dt>Case fields it sees</dt>
              <dd>{(p.caseFields ?? []).join(', ') || 'none'}</dd>
            </div>
            <div>
              <dt>Configuration</dt>
              <dd>{(p.config ?? []).map((c) => `${c.name}${c.secret ? ' (secret)' : ''}${c.required ? '' : ' (optional)'}`).join(', ') || 'none'}</dd>
            </div>
          </dl>
        </article>
      ))}
    </>
  );
}
