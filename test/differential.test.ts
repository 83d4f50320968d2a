/**
 * The differential check (harness/differential) without a VM: the reference
 * driver against itself over the wire protocol agrees on every probe, and a
 * named defect shows up as disagreements naming the probes it changes.
 */
import { expect } from 'chai';
import { differential } from '../harness/differential/compare.js';
import { PHASES, buildProbes, runProbes } from '../harness/differential/probes.js';
import { ROOT } from '../harness/paths.js';
import { SimTarget } from '../harness/targets/sim.js';
import { parseTarget } from '../harness/targets/spec.js';

const sim = (text: string) => new SimTarget(parseTarget(text) as Extract<ReturnType<typeof parseTarget>, { kind: 'sim' }>);

describe('differential', () => {
  it('probes have unique names and run in phase order: every mutating scope after the clean ones', () => {
    const probes = buildProbes();
    expect(new Set(probes.map((p) => p.name)).size, 'unique names').to.equal(probes.length);
    const order = probes.map((p) => PHASES.indexOf(p.phase));
    expect(order, 'phase order').to.deep.equal([...order].sort((a, b) => a - b));
    expect(probes.filter((p) => p.phase === 'first-taint').map((p) => p.name)).to.have.length(1);
    for (const rule of ['D-1', 'D-2', 'D-3', 'D-4', 'D-5', 'D-6', 'D-8', 'I-1', 'I-2', 'I-4', 'I-5', 'I-6', 'I-7', 'R-1', 'R-2', 'R-3', 'R-4', 'R-5', 'R-6', 'R-7', 'R-8', 'O-1', 'O-2', 'O-4', 'O-5']) {
      expect(probes.some((p) => p.covers.includes(rule)), `a probe covers ${rule}`).to.equal(true);
    }
    for (const command of ['GET_SUPPORTED_FEATURES', 'GET_FEATURE', 'SET_FEATURE']) {
      for (const scope of ['CONFIGURATION', 'DEBUG_READ_ONLY', 'DEBUG_WRITE', 'DEBUG_WRITE_FULL']) {
        expect(probes.some((p) => p.name === `${command} at ${scope}`), `${command} at ${scope}`).to.equal(true);
      }
    }
  });

  it('sim:cxl@1.0 against the reference driver over the wire protocol: 0 disagreements', async () => {
    const r = await differential('sim:cxl@1.0', `exec:node ${ROOT}bin/fwctl-cts.js serve-reference cxl@1.0`);
    expect(r.probes, 'probes compared').to.be.greaterThan(100);
    expect(r.skipped, 'nothing skipped (both allow hazards and have every part)').to.deep.equal([]);
    expect(r.taintCompared, 'taint compared').to.equal(true);
    expect(r.disagreements.map((d) => `${d.probe}: ${d.fields.join(', ')}`)).to.deep.equal([]);
    expect([...r.transcripts.a, ...r.transcripts.b].filter((t) => t.error).map((t) => `${t.probe}: ${t.error}`)).to.deep.equal([]);
  });

  it('a defect (out_len clamped to the caller\'s buffer) gives disagreements naming the probes', async () => {
    const r = await differential('sim:cxl@1.0', 'sim:cxl@1.0+out-len-clamped');
    const named = r.disagreements.map((d) => d.probe);
    expect(named).to.include('R-6/R-7 GET_SUPPORTED_FEATURES out_len 20');
    const d = r.disagreements.find((x) => x.probe === 'R-6/R-7 GET_SUPPORTED_FEATURES out_len 20')!;
    expect(d.fields).to.include('out_len');
    expect([d.a.out_len, d.b.out_len]).to.deep.equal([72, 20]);
    // Only probes whose buffer is smaller than the answer can tell.
    expect(named).to.not.include('GET_SUPPORTED_FEATURES at CONFIGURATION');
  });

  it('a taint defect shows on the first mutating probe, by taint alone', async () => {
    const r = await differential('sim:cxl@1.0', 'sim:cxl@1.0+taint-after-validation');
    const first = r.disagreements.find((d) => d.probe === 'R-3 rejected request at DEBUG_WRITE taints');
    expect(first, 'R-3 probe disagrees').to.not.equal(undefined);
    expect(first!.fields).to.deep.equal(['taintAfter']);
    expect([first!.a.taintAfter, first!.b.taintAfter]).to.deep.equal([true, false]);
  });

  it('hazard probes are skipped, with the reason, unless hazards are allowed', async () => {
    const t = sim('sim:cxl@1.0');
    try {
      const lines = await runProbes(t, buildProbes().filter((p) => p.hazard), { hazards: false });
      expect(lines.length).to.be.greaterThan(5);
      for (const l of lines) expect(l.skipped, l.probe).to.match(/--allow-hazards/);
    } finally {
      await t.dispose();
    }
  });
});
