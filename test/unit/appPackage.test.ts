/**
 * The Teams app package: appPackage/manifest.json validates offline against the schema bundled by
 * `@microsoft/app-manifest`, its command lists match what the bot handles, the icons have Teams' sizes, and
 * `npm run package` (buildAppPackage) zips exactly the three files with the ids filled in.
 */
import { strict as assert } from 'node:assert';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import JSZip from 'jszip';
import {
  PackageError,
  ROOT,
  buildAppPackage,
  bundledSchemaPath,
  fillTemplate,
  iconProblems,
  placeholdersOf,
  resolveVariables,
  validateManifest,
} from '../../scripts/packageApp';
import { COMMANDS } from '../../src/teams/views';
import { decodePng, pixelAt, pixels } from '../../scripts/png';

const BOT_ID = '00000000-aaaa-4bbb-8ccc-000000000001';
const TEAMS_APP_ID = '00000000-aaaa-4bbb-8ccc-0000000000a1';
const IDS = { BOT_ID, TEAMS_APP_ID };
/** The commands the bot answers in a team channel when mentioned (src/teams/application.ts). */
const TEAM_COMMANDS = ['failed'];

const APP_DIR = path.join(ROOT, 'appPackage');
const template = readFileSync(path.join(APP_DIR, 'manifest.json'), 'utf8');

interface CommandList {
  scopes: string[];
  commands: { title: string; description?: string }[];
}
interface Bot {
  botId: string;
  scopes: string[];
  supportsFiles?: boolean;
  isNotificationOnly?: boolean;
  commandLists: CommandList[];
}
interface Manifest {
  $schema: string;
  manifestVersion: string;
  id: string;
  bots: Bot[];
  icons: { color: string; outline: string };
  validDomains?: string[];
  webApplicationInfo: { id: string; resource: string };
  [key: string]: unknown;
}

function filled(values: Record<string, string> = IDS): Manifest {
  return JSON.parse(fillTemplate(template, values)) as Manifest;
}

function commandsFor(manifest: Manifest, scope: string): string[] {
  const lists = manifest.bots[0].commandLists.filter((list) => list.scopes.includes(scope));
  assert.equal(lists.length, 1, `one command list for scope ${scope}`);
  return lists[0].commands.map((command) => command.title);
}

describe('Teams app package', () => {
  describe('manifest template', () => {
    it('uses only the BOT_ID and TEAMS_APP_ID placeholders', () => {
      assert.deepEqual(placeholdersOf(template).sort(), ['BOT_ID', 'TEAMS_APP_ID']);
    });

    it('filled with test GUIDs, validates against the bundled schema with zero errors', async () => {
      const manifest = filled();
      assert.match(manifest.$schema, new RegExp(`/teams/v${manifest.manifestVersion.replace('.', '\\.')}/MicrosoftTeams\\.schema\\.json$`));
      assert.ok(readFileSync(bundledSchemaPath(manifest.manifestVersion), 'utf8').length > 0, 'the schema is bundled');
      assert.deepEqual(await validateManifest(manifest), []);
    });

    it('fills every placeholder', () => {
      const text = fillTemplate(template, IDS);
      assert.doesNotMatch(text, /\$\{\{/);
      const manifest = JSON.parse(text) as Manifest;
      assert.equal(manifest.id, TEAMS_APP_ID);
      assert.equal(manifest.bots[0].botId, BOT_ID);
      assert.equal(manifest.webApplicationInfo.id, BOT_ID);
      assert.equal(manifest.webApplicationInfo.resource, `api://botid-${BOT_ID}`);
    });

    it('the unfilled template does not validate (placeholders are not GUIDs)', async () => {
      const errors = await validateManifest(JSON.parse(template) as Record<string, unknown>);
      assert.ok(errors.some((e) => e.startsWith('/id ')), errors.join('\n'));
      assert.ok(errors.some((e) => e.startsWith('/bots/0/botId ')), errors.join('\n'));
    });

    it('a schema error is reported readably', async () => {
      const manifest = filled();
      manifest.bots[0].supportsFiles = 'no' as unknown as boolean;
      assert.deepEqual(await validateManifest(manifest), ['/bots/0/supportsFiles must be boolean. Details: {"type":"boolean"}']);
    });

    it('one conversational bot, personal and team scopes, no files, no valid domains', () => {
      const manifest = filled();
      assert.equal(manifest.bots.length, 1);
      const [bot] = manifest.bots;
      assert.deepEqual([...bot.scopes].sort(), ['personal', 'team']);
      assert.equal(bot.supportsFiles, false);
      assert.notEqual(bot.isNotificationOnly, true);
      assert.deepEqual(manifest.validDomains, []);
    });

    it('personal commands are the help card commands (COMMANDS), in order', () => {
      assert.deepEqual(commandsFor(filled(), 'personal'), [...COMMANDS]);
    });

    it('team commands are the channel commands', () => {
      assert.deepEqual(commandsFor(filled(), 'team'), TEAM_COMMANDS);
    });

    it('every command list scope is a scope of the bot, and every command has a description', () => {
      const [bot] = filled().bots;
      for (const list of bot.commandLists) {
        for (const scope of list.scopes) assert.ok(bot.scopes.includes(scope), `command list scope ${scope}`);
        for (const command of list.commands) assert.ok(command.description, `description of ${command.title}`);
      }
    });
  });

  describe('icons', () => {
    it('color.png is 192×192', () => {
      const manifest = filled();
      const png = decodePng(readFileSync(path.join(APP_DIR, manifest.icons.color)));
      assert.deepEqual([png.width, png.height], [192, 192]);
    });

    it('outline.png is 32×32, white on a transparent background', () => {
      const manifest = filled();
      const png = decodePng(readFileSync(path.join(APP_DIR, manifest.icons.outline)));
      assert.deepEqual([png.width, png.height], [32, 32]);
      for (const [x, y] of [[0, 0], [31, 0], [0, 31], [31, 31]]) {
        assert.equal(pixelAt(png, x, y).a, 0, `corner (${x}, ${y}) is transparent`);
      }
      let white = 0;
      for (const p of pixels(png)) {
        if (p.a === 0) continue;
        assert.deepEqual([p.r, p.g, p.b], [255, 255, 255], `pixel (${p.x}, ${p.y}) is white or transparent`);
        white++;
      }
      assert.ok(white > 0, 'the outline has a visible shape');
    });
  });

  it('iconProblems flags a wrong-size, non-white outline icon', () => {
    const work = mkdtempSync(path.join(tmpdir(), 'app-icons-'));
    try {
      writeFileSync(path.join(work, 'color.png'), readFileSync(path.join(APP_DIR, 'color.png')));
      writeFileSync(path.join(work, 'outline.png'), readFileSync(path.join(APP_DIR, 'color.png')));
      assert.deepEqual(iconProblems(APP_DIR), []);
      const problems = iconProblems(work);
      assert.equal(problems.length, 3, problems.join('\n'));
      assert.match(problems[0], /^outline\.png is 192×192; the outline icon must be 32×32$/);
      assert.match(problems[1], /no transparent background/);
      assert.match(problems[2], /neither white nor transparent/);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });

  describe('npm run package (buildAppPackage)', () => {
    let work: string;
    beforeEach(() => {
      work = mkdtempSync(path.join(tmpdir(), 'app-package-'));
    });
    afterEach(() => rmSync(work, { recursive: true, force: true }));

    it('zips exactly manifest.json, color.png and outline.png, with the GUIDs filled in', async () => {
      const outFile = path.join(work, 'build', 'app.zip');
      const result = await buildAppPackage({ env: IDS, envFiles: [], outFile });
      assert.equal(result.outFile, outFile);
      const zip = await JSZip.loadAsync(readFileSync(outFile));
      const entries = Object.values(zip.files).map((entry) => entry.name);
      assert.deepEqual(entries.sort(), ['color.png', 'manifest.json', 'outline.png']);
      const manifest = JSON.parse(await zip.file('manifest.json')!.async('string')) as Manifest;
      assert.equal(manifest.id, TEAMS_APP_ID);
      assert.equal(manifest.bots[0].botId, BOT_ID);
      assert.equal(manifest.webApplicationInfo.id, BOT_ID);
      assert.deepEqual(await validateManifest(manifest), []);
      const outline = await zip.file('outline.png')!.async('nodebuffer');
      assert.ok(outline.equals(readFileSync(path.join(APP_DIR, 'outline.png'))));
    });

    it('a BOT_ID that is not a GUID fails with one line naming it', async () => {
      await assert.rejects(
        buildAppPackage({ env: { ...IDS, BOT_ID: 'my-bot' }, envFiles: [], outFile: path.join(work, 'app.zip') }),
        (err: unknown) => {
          assert.ok(err instanceof PackageError);
          assert.match(err.message, /^BOT_ID is not a GUID: "my-bot"/);
          assert.doesNotMatch(err.message, /\n/);
          return true;
        },
      );
    });

    it('a missing TEAMS_APP_ID fails with one line naming it', async () => {
      await assert.rejects(
        buildAppPackage({ env: { BOT_ID }, envFiles: [], outFile: path.join(work, 'app.zip') }),
        (err: unknown) => err instanceof PackageError && /^TEAMS_APP_ID is missing/.test(err.message) && !err.message.includes('\n'),
      );
    });

    it('takes the environment first, then env/.env.dev, then .env', () => {
      mkdirSync(path.join(work, 'env'));
      writeFileSync(path.join(work, 'env', '.env.dev'), `TEAMS_APP_ID=${TEAMS_APP_ID}\nBOT_ID=\n`);
      writeFileSync(path.join(work, '.env'), `BOT_ID=${BOT_ID}\nTEAMS_APP_ID=ffffffff-ffff-4fff-8fff-ffffffffffff\n`);
      const files = ['env/.env.dev', '.env'];
      const names = ['BOT_ID', 'TEAMS_APP_ID'];

      const fromFiles = resolveVariables(names, {}, work, files);
      assert.deepEqual(fromFiles.values, IDS);
      assert.deepEqual(fromFiles.sources, { BOT_ID: '.env', TEAMS_APP_ID: 'env/.env.dev' });

      const other = '11111111-2222-4333-8444-555555555555';
      const fromEnv = resolveVariables(names, { BOT_ID: other }, work, files);
      assert.equal(fromEnv.values.BOT_ID, other);
      assert.equal(fromEnv.sources.BOT_ID, 'environment');
    });
  });
});
