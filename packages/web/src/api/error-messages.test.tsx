// @vitest-environment jsdom
import { cleanup, render } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorNotice } from '../components/ErrorNotice';
import { ApiError } from './client';
import { ERROR_SENTENCES, sentenceFor } from './error-messages';

afterEach(cleanup);

describe('the error sentences', () => {
  it('turns a code into a sentence a person understands', () => {
    expect(sentenceFor(new ApiError('SELF_APPROVAL_FORBIDDEN', 'You proposed this action; someone else must decide it', 403))).toBe(
      'You proposed this action, so someone else must approve or deny it.',
    );
    expect(sentenceFor(new ApiError('VERSION_CONFLICT', 'The case changed since version 3', 409))).toMatch(/^Someone else changed this/);
  });

  it('has a generic sentence for what it does not know', () => {
    expect(sentenceFor(new ApiError('SOMETHING_NEW' as never, 'x', 418))).toBe(ERROR_SENTENCES.UNEXPECTED);
    expect(sentenceFor(new TypeError('boom'))).toBe(ERROR_SENTENCES.UNEXPECTED);
    expect(sentenceFor(undefined)).toBe(ERROR_SENTENCES.UNEXPECTED);
    expect(sentenceFor({ code: 'toString' })).toBe(ERROR_SENTENCES.UNEXPECTED);
  });

  it('says every sentence as a sentence, never as the code itself', () => {
    for (const [code, sentence] of Object.entries(ERROR_SENTENCES)) {
      expect(sentence, code).toMatch(/^[A-Z].*\.$/);
      expect(sentence, code).not.toContain(code);
    }
  });

  it('shows the sentence and, beneath it, the server’s words as text', () => {
    const error = new ApiError('VALIDATION_FAILED', 'body/title must be <b>shorter</b>', 400);
    const { container, getByRole } = render(<ErrorNotice error={error} />);
    expect(getByRole('alert').textContent).toContain(ERROR_SENTENCES.VALIDATION_FAILED);
    expect(container.textContent).toContain('body/title must be <b>shorter</b>');
    expect(container.querySelector('b')).toBeNull();
  });
});
