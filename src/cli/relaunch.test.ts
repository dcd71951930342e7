import { describe, expect, it } from 'vitest';
import { missingServerOptions, SERVER_NODE_OPTIONS } from './relaunch.js';

describe('missingServerOptions', () => {
  it('names every server option a bare node lacks', () => {
    expect(missingServerOptions([], {})).toEqual([...SERVER_NODE_OPTIONS]);
    expect(missingServerOptions(['--enable-source-maps'], {})).toEqual([...SERVER_NODE_OPTIONS]);
  });

  it('accepts an option given with another value: the operator chose it', () => {
    const chosen = SERVER_NODE_OPTIONS.map((o) => `${o.split('=')[0]}=256`);
    expect(missingServerOptions(chosen, {})).toEqual([]);
    expect(missingServerOptions([...SERVER_NODE_OPTIONS], {})).toEqual([]);
  });

  it('asks for nothing in a relaunched server, so a relaunch cannot loop', () => {
    expect(missingServerOptions([], { COFFER_RELAUNCHED: '1' })).toEqual([]);
    expect(missingServerOptions([], { COFFER_RELAUNCHED: '0' })).toEqual([...SERVER_NODE_OPTIONS]);
  });
});
