/**
 * Rules of the distro-safe pack only (policies/distro-safe.json): supported
 * tooling never needs to taint the kernel, and nothing needs DEBUG_WRITE_FULL.
 * Under the upstream policy these tests are not planned.
 */
import { expect } from 'chai';
import { scopeValue } from '../../harness/profiles/profile.js';
import { catalogue, forEachItem } from '../support/catalogue.js';
import { check } from '../support/check.js';

describe('distro', () => {
  const commands = catalogue()?.commands ?? [];

  forEachItem('taint.never-needed', commands, 'the profile catalogues no command', (c) => {
    check('taint.never-needed', `${c.name} works without tainting: below DEBUG_WRITE`, { variant: c.name }, async (t) => {
      const fd = await t.open();
      expect(scopeValue(c.minScope), `${c.name} needs ${c.minScope}`).to.be.lessThan(2);
      if (c.effects !== 'read-only' && c.effects !== 'debug-read') t.allow('destructive');
      await t.sendOk(fd, c, scopeValue(c.minScope));
    });
  });

  forEachItem('scope.no-full-access', commands, 'the profile catalogues no command', (c) => {
    check('scope.no-full-access', `${c.name} does not need DEBUG_WRITE_FULL`, { variant: c.name }, async (t) => {
      expect(c.minScope, `${c.name}'s minimum scope`).to.not.equal('DEBUG_WRITE_FULL');
      const fd = await t.open();
      if (scopeValue(c.minScope) >= 2) t.allow('taint');
      if (c.effects !== 'read-only' && c.effects !== 'debug-read') t.allow('destructive');
      await t.sendOk(fd, c, Math.min(2, Math.max(scopeValue(c.minScope), 0)));
    });
  });
});
