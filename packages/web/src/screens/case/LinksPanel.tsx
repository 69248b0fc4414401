import { useState } from 'react';
import { Link } from 'react-router';
import { useCase } from '../../api/cases';
import { LINK_KINDS, useAddLink, useLinks, useRemoveLink, type CaseLink, type LinkKind } from '../../api/links';
import { useCan } from '../../api/session';
import { ErrorNotice } from '../../components/ErrorNotice';
import './links.css';

/** How this case stands to the other, read from this case's side of the link. */
const FROM_HERE: Record<string, string> = { relates: 'Relates to', duplicates: 'Duplicates', blocks: 'Blocks', parent_of: 'Parent of' };
const TO_HERE: Record<string, string> = { relates: 'Relates to', duplicates: 'Duplicated by', blocks: 'Blocked by', parent_of: 'Child of' };
const KIND_NAMES: Record<LinkKind, string> = { relates: 'relates to', duplicates: 'duplicates', blocks: 'blocks', parent_of: 'is the parent of' };

/** Linked cases: each one a link to the other case; people who may change the case add and remove them. */
export function LinksPanel({ caseId }: { caseId: string }) {
  const links = useLinks(caseId);
  const add = useAddLink(caseId);
  const remove = useRemoveLink(caseId);
  const canChange = useCan('case:update');
  const [other, setOther] = useState('');
  const [kind, setKind] = useState<LinkKind>('relates');
  const items = links.data ?? [];

  return (
    <section className="panel" aria-labelledby="links-title">
      <h2 id="links-title">Linked cases</h2>
      <ErrorNotice error={links.error} />
      <ul className="links">
        {items.map((link) => (
          <LinkRow key={link.id} link={link} caseId={caseId} onRemove={canChange ? () => remove.mutate(link) : undefined} removing={remove.isPending} />
        ))}
        {links.data?.length === 0 && <li className="muted">No linked cases.</li>}
      </ul>
      <ErrorNotice error={remove.error} title="Could not remove the link." />
      {canChange && (
        <form
          className="add-link"
          onSubmit={(event) => {
            event.preventDefault();
            // Ids are lower-case on the API; one pasted from elsewhere may not be.
            if (other.trim()) add.mutate({ caseId: other.trim().toLowerCase(), kind }, { onSuccess: () => setOther('') });
          }}
        >
          <label htmlFor="link-kind">This case</label>
          <select id="link-kind" value={kind} onChange={(e) => setKind(e.target.value as LinkKind)}>
            {LINK_KINDS.map((k) => (
              <option key={k} value={k}>
                {KIND_NAMES[k]}
              </option>
            ))}
          </select>
          <label htmlFor="link-case">Case id</label>
          <input id="link-case" value={other} onChange={(e) => setOther(e.target.value)} placeholder="the other case’s id" spellCheck={false} autoComplete="off" />
          <ErrorNotice error={add.error} />
          <button type="submit" disabled={add.isPending || !other.trim()}>
            Link case
          </button>
        </form>
      )}
    </section>
  );
}

function LinkRow({ link, caseId, onRemove, removing }: { link: CaseLink; caseId: string; onRemove: (() => void) | undefined; removing: boolean }) {
  const fromHere = link.fromCaseId === caseId;
  const otherId = (fromHere ? link.toCaseId : link.fromCaseId) ?? '';
  const kind = link.kind ?? '';
  return (
    <li data-link-kind={kind}>
      <span className="muted">{(fromHere ? FROM_HERE : TO_HERE)[kind] ?? kind}</span> <OtherCase id={otherId} />
      {onRemove && (
        <button type="button" className="link" onClick={onRemove} disabled={removing} aria-label={`Remove the link to case ${otherId}`}>
          Remove
        </button>
      )}
    </li>
  );
}

/** The other case by its title when this person can see it; by its id otherwise (the link still navigates). */
function OtherCase({ id }: { id: string }) {
  const other = useCase(id);
  return <Link to={`/cases/${id}`}>{other.data?.title ?? `case ${id.slice(-8)}`}</Link>;
}
