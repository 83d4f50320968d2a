// A kernel mutant's test fixture (vm/test-kernel-mutants.mjs; issue 15 item 2, mutant 17).
//
// Some mutants break a path the cxl_test mock never takes: its only feature has reset effects, so a
// Set Feature with immediate effects cannot be sent at all. Such a mutant names a fixture in its
// header, a patch to the mock (tools/testing/cxl, test code, never the kernel under test), and the
// profile that describes the fixture device:
//   Fixture: fixtures/NAME.patch           (relative to vm/mutants)
//   Profile: fixtures/NAME.profile.json    (an overlay: {extends, id, title, source, commands})
//   Control: rule ids                      (optional: more rules the control must pass, showing the
//                                           fixture works; both boots run them)
// The runner then builds two module sets, the control (fixture only) and the mutant (fixture + the
// mutant's diff). The control must pass the mutant's rules, the mutant must fail them.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const { schemaErrors } = await import(pathToFileURL(join(dirname(fileURLToPath(import.meta.url)), '../dist/harness/schema/validate.js')).href);

/** What an overlay may say; everything else comes from the profile it extends. */
const OVERLAY_KEYS = ['$comment', 'extends', 'id', 'title', 'source', 'commands'];

/**
 * The fixture of a mutant from its header fields (Fixture, Profile, Control), or undefined when it
 * names none. Paths are relative to the mutant's directory. Throws an Error with a one-line message.
 */
export function mutantFixture(mutantFile, fields, root = dirname(mutantFile)) {
  const where = relative(root, mutantFile) || mutantFile;
  if (!fields.Fixture) {
    for (const k of ['Profile', 'Control']) if (fields[k]) throw new Error(`${where}: '${k}:' needs a 'Fixture:' line (the patch to cxl_test it describes)`);
    return undefined;
  }
  const file = (k, ending) => {
    const p = resolve(dirname(mutantFile), fields[k]);
    if (!p.endsWith(ending)) throw new Error(`${where}: ${k}: expected a ${ending} file, got '${fields[k]}'`);
    if (!existsSync(p)) throw new Error(`${where}: ${k}: no such file '${fields[k]}'`);
    return p;
  };
  const patch = file('Fixture', '.patch');
  const changed = [...readFileSync(patch, 'utf8').matchAll(/^\+\+\+ [^/\s]+\/(\S+)/gm)].map((x) => x[1]);
  if (!changed.length) throw new Error(`${where}: Fixture: '${fields.Fixture}' has no diff`);
  for (const f of changed) {
    if (!f.startsWith('tools/testing/cxl/')) throw new Error(`${where}: Fixture: '${fields.Fixture}' changes ${f} (a fixture changes only the cxl_test mock, tools/testing/cxl: the kernel change is the mutant's)`);
  }
  const control = (fields.Control ?? '').split(',').map((x) => x.trim()).filter(Boolean);
  return { patch, profile: fields.Profile ? file('Profile', '.json') : undefined, control };
}

/** The diffs of several patches as one patch (each file's header, the text before its first `--- `, left out). */
export function combinePatches(files) {
  return files
    .map((f) => {
      const text = readFileSync(f, 'utf8');
      const at = text.search(/^--- /m);
      if (at < 0) throw new Error(`${f}: no diff (no '--- ' line)`);
      return text.slice(at).replace(/\n*$/, '\n');
    })
    .join('');
}

/**
 * The profile an overlay describes: the profile it extends (profilesDir/<extends>.json) with the
 * overlay's id, title and source, and its commands added after the base's. Throws an Error naming
 * the file and the JSON pointer. The whole is checked against the profile schema here, so that an
 * error in an added command names the overlay and its own pointer (/commands/0, not the merged
 * profile's /commands/N); loadProfile then checks what the schema cannot see.
 */
export function fixtureProfile(overlayFile, profilesDir) {
  let o;
  try {
    o = JSON.parse(readFileSync(overlayFile, 'utf8'));
  } catch (e) {
    throw new Error(`${overlayFile}: not JSON (${e.message})`);
  }
  if (!o || typeof o !== 'object' || Array.isArray(o)) throw new Error(`${overlayFile}: expected an object`);
  for (const k of Object.keys(o)) if (!OVERLAY_KEYS.includes(k)) throw new Error(`${overlayFile}: /${k}: unexpected key (an overlay has ${OVERLAY_KEYS.join(', ')})`);
  for (const k of ['extends', 'id', 'title', 'source']) if (typeof o[k] !== 'string' || !o[k]) throw new Error(`${overlayFile}: /${k}: expected a non-empty string`);
  if (!/^[a-z0-9][a-z0-9-]*$/.test(o.extends)) throw new Error(`${overlayFile}: /extends: expected a profile id, got '${o.extends}'`);
  const baseFile = join(profilesDir, `${o.extends}.json`);
  if (!existsSync(baseFile)) throw new Error(`${overlayFile}: /extends: no profile '${o.extends}' in profiles/`);
  if (!Array.isArray(o.commands) || !o.commands.length) throw new Error(`${overlayFile}: /commands: expected a non-empty array of the commands the fixture adds`);
  const base = JSON.parse(readFileSync(baseFile, 'utf8'));
  delete base.$schema;
  const merged = { ...base, id: o.id, title: o.title, source: o.source, commands: [...base.commands, ...o.commands] };
  const added = base.commands.length;
  const lines = schemaErrors(merged, 'profile').map((line) => {
    const at = /^\/commands\/(\d+)(.*)$/s.exec(line);
    if (at && Number(at[1]) >= added) return `${overlayFile}: /commands/${Number(at[1]) - added}${at[2]}`;
    const own = /^\/(id|title|source)\b/.test(line);
    return `${own ? overlayFile : baseFile}: ${line}`;
  });
  if (lines.length) throw new Error(lines.slice(0, 5).join('\n') + (lines.length > 5 ? `\n… and ${lines.length - 5} more` : ''));
  return merged;
}
