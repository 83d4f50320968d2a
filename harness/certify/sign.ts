/**
 * Signing and checking a bundle's manifest with OpenSSH (ssh-keygen -Y sign / -Y verify, OpenSSH
 * 8.1+, PROTOCOL.sshsig): an existing, audited tool, so no signature code lives here. The
 * namespace `fwctl-cts` keeps a signature made for anything else (git commits, files) from
 * verifying as a bundle's.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CtsError } from '../errors.js';
import { MANIFEST, SIGNATURE, SIG_NAMESPACE } from './bundle.js';

function sshKeygen(args: readonly string[], input?: Buffer): { status: number | null; out: string; error?: Error } {
  const r = spawnSync('ssh-keygen', args, { input, encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, out: `${r.stderr ?? ''}${r.stdout ?? ''}`.trim().split('\n').filter(Boolean).join('; '), error: r.error };
}

/** `ssh-keygen -Y sign -f KEY -n fwctl-cts manifest.json`: writes manifest.json.sig beside it. */
export function signManifest(dir: string, key: string): void {
  const manifest = join(dir, MANIFEST);
  if (!existsSync(manifest)) throw new CtsError('CTS_E_READ_FILE', `${dir}: no ${MANIFEST}: not a certification bundle`);
  if (existsSync(join(dir, SIGNATURE))) throw new CtsError('CTS_E_USAGE', `${join(dir, SIGNATURE)} already exists: the bundle is signed`);
  if (!existsSync(key)) throw new CtsError('CTS_E_READ_FILE', `signing key '${key}': no such file`);
  const r = sshKeygen(['-Y', 'sign', '-f', key, '-n', SIG_NAMESPACE, manifest]);
  if (r.error) throw new CtsError('CTS_E_USAGE', `cannot run ssh-keygen: ${r.error.message}`, 'install OpenSSH (Debian: openssh-client)');
  if (r.status !== 0 || !existsSync(join(dir, SIGNATURE))) throw new CtsError('CTS_E_USAGE', `ssh-keygen -Y sign -f ${key} failed: ${r.out || `exit ${r.status}`}`);
}

/**
 * `ssh-keygen -Y verify -f ALLOWED -I ID -n fwctl-cts -s manifest.json.sig < manifest.json`:
 * whether the signature is good for `identity`, with ssh-keygen's own line.
 */
export function checkSignature(dir: string, allowedSigners: string, identity: string): { ok: boolean; line: string } {
  const sig = join(dir, SIGNATURE);
  if (!existsSync(allowedSigners)) throw new CtsError('CTS_E_READ_FILE', `allowed signers file '${allowedSigners}': no such file`);
  if (!existsSync(sig)) return { ok: false, line: `signature: no ${SIGNATURE} in the bundle, and one by ${identity} was asked for` };
  const r = sshKeygen(['-Y', 'verify', '-f', allowedSigners, '-I', identity, '-n', SIG_NAMESPACE, '-s', sig], readFileSync(join(dir, MANIFEST)));
  if (r.error) throw new CtsError('CTS_E_USAGE', `cannot run ssh-keygen: ${r.error.message}`, 'install OpenSSH (Debian: openssh-client)');
  if (r.status === 0) return { ok: true, line: `signature: ${r.out}` };
  return { ok: false, line: `signature: ${SIGNATURE} does not verify as ${identity}'s (ssh-keygen -Y verify: ${r.out || `exit ${r.status}`})` };
}
