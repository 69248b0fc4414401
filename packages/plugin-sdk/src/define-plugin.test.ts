import type { Manifest } from '@latch/protocol';
import { describe, expect, it } from 'vitest';
import { action, definePlugin } from './define-plugin.js';

const manifest: Manifest = {
  id: 'demo',
  name: 'Demo',
  version: '0.1.0',
  protocolVersion: '1',
  command: ['node', 'dist/main.js'],
  caseTypes: ['*'],
  caseFields: [],
  config: [],
  actions: [{ name: 'go', title: 'Go', inputSchema: { type: 'object', properties: { n: { type: 'integer' } } } }],
};
const go = action({ execute: () => ({ summary: 'went' }) });

describe('definePlugin', () => {
  it('accepts a consistent definition', () => {
    expect(definePlugin({ manifest, actions: { go } }).manifest).toBe(manifest);
  });

  it('refuses an invalid manifest, naming the problem', () => {
    expect(() => definePlugin({ manifest: { ...manifest, id: 'Not Valid' }, actions: { go } })).toThrow(/invalid manifest for plugin Not Valid: \/id must match/);
  });

  it('refuses actions without an implementation and implementations without an action', () => {
    expect(() => definePlugin({ manifest, actions: {} })).toThrow('plugin demo: no implementation for action(s) go');
    expect(() => definePlugin({ manifest, actions: { go, extra: go } })).toThrow('plugin demo: action(s) extra are not in the manifest');
  });

  it('refuses an inputSchema with keywords the validator would silently skip', () => {
    const withOneOf: Manifest = { ...manifest, actions: [{ name: 'go', title: 'Go', inputSchema: { type: 'object', properties: { n: { oneOf: [{ type: 'integer' }] } } } }] };
    expect(() => definePlugin({ manifest: withOneOf, actions: { go } })).toThrow('inputSchema uses unsupported keywords or patterns: #/properties/n/oneOf');
  });

  it("refuses a typed action whose schema drifted from the manifest's", () => {
    const typed = action({ inputSchema: { type: 'object', properties: { n: { type: 'number' } } } as const, execute: () => ({ summary: 'x' }) });
    expect(() => definePlugin({ manifest, actions: { go: typed } })).toThrow("the action's inputSchema differs from the manifest's");
  });
});
