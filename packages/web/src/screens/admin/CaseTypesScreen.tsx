import { useState } from 'react';
import { useCaseTypeVersions } from '../../api/admin';
import { useCaseType, useCaseTypes } from '../../api/cases';
import { ErrorNotice } from '../../components/ErrorNotice';
import { Hash } from '../../components/Inert';
import { PolicySimulator } from './PolicySimulator';

/**
 * Case types as the server loaded them from config/case-types (read-only: they change by editing
 * the files), each version with its digest, and a simulator of the approval policies.
 */
export function CaseTypesScreen() {
  const types = useCaseTypes();
  const [key, setKey] = useState<string | undefined>();
  const chosenKey = key ?? types.data?.[0]?.key;
  const versions = useCaseTypeVersions(chosenKey);
  const [version, setVersion] = useState<number | undefined>();
  const latest = versions.data?.latest?.version;
  const chosenVersion = version ?? latest;
  const definition = useCaseType(chosenKey, chosenVersion);
  const digest = (definition.data as { digest?: string } | undefined)?.digest;

  return (
    <>
      <h1>Case types</h1>
      <p className="hint">Read from the files in the configuration directory; a change is a new version file, and cases keep the version they were opened under.</p>
      <ErrorNotice error={types.error ?? versions.error ?? definition.error} />
      <div className="form-grid">
        <div>
          <label htmlFor="case-type-key">Case type</label>
          <select
            id="case-type-key"
            value={chosenKey ?? ''}
            onChange={(e) => {
              setKey(e.target.value);
              setVersion(undefined);
            }}
          >
            {(types.data ?? []).map((t) => (
              <option key={t.key} value={t.key}>
                {t.name} ({t.key})
              </option>
            ))}
          </select>
        </div>
        <div>
          <label htmlFor="case-type-version">Version</label>
          <select id="case-type-version" value={chosenVersion ?? ''} onChange={(e) => setVersion(Number(e.target.value))}>
            {(versions.data?.versions ?? []).map((v) => (
              <option key={v} value={v}>
                {`v${v}${v === latest ? ' (newest)' : ''}`}
              </option>
            ))}
          </select>
        </div>
      </div>
      {definition.data && (
        <section className="panel" aria-labelledby="definition-title">
          <h2 id="definition-title">
            {chosenKey}.v{chosenVersion}
          </h2>
          <p className="meta">
            Digest: <Hash value={digest} label="Digest of this version" />
          </p>
          {/* Scrolls within its box (focusable, so it scrolls from the keyboard too): the simulator stays in view. */}
          <pre className="json definition" tabIndex={0} role="region" aria-label={`Definition of ${chosenKey} version ${chosenVersion}`}>
            {JSON.stringify(definition.data, null, 2)}
          </pre>
        </section>
      )}
      {definition.data && <PolicySimulator definition={definition.data as unknown as Record<string, unknown>} />}
    </>
  );
}
