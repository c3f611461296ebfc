'use strict';
// extension.js outside VS Code: the `vscode` API and the language client are replaced by
// recording fakes, so these tests check what the extension asks of them (the server's command
// line, the command it registers, restarts), not VS Code itself.

const assert = require('node:assert');
const Module = require('node:module');
const path = require('node:path');
const test = require('node:test');

const manifest = require('../package.json');

const settings = { 'hl.server.path': 'hlc', 'hl.server.extraArgs': [] };
const commands = new Map();
const configListeners = [];
const clients = [];

class FakeClient {
  constructor(id, name, serverOptions, clientOptions) {
    Object.assign(this, { id, name, serverOptions, clientOptions, started: false, disposed: false });
    clients.push(this);
  }
  async start() {
    this.started = true;
  }
  async dispose() {
    this.disposed = true;
  }
}

const fakeVscode = {
  workspace: {
    getConfiguration: (section) => ({ get: (key) => settings[`${section}.${key}`] }),
    onDidChangeConfiguration: (listener) => configListeners.push(listener),
  },
  window: { createOutputChannel: (name) => ({ name, appendLine() {}, dispose() {} }) },
  commands: { registerCommand: (id, fn) => commands.set(id, fn) },
  languages: { registerFoldingRangeProvider: () => ({ dispose() {} }) },
  FoldingRange: class {},
  FoldingRangeKind: { Comment: 1 },
};
const fakeClientModule = { LanguageClient: FakeClient, TransportKind: { stdio: 0 } };

const load = Module._load;
Module._load = function (request, ...rest) {
  if (request === 'vscode') return fakeVscode;
  if (request === 'vscode-languageclient/node') return fakeClientModule;
  return load.call(this, request, ...rest);
};
const extension = require(path.join(__dirname, '..', manifest.main));

test('activation starts `hlc lsp` over stdio for hl files', async () => {
  extension.activate({ subscriptions: [] });
  await new Promise(setImmediate);
  assert.strictEqual(clients.length, 1);
  const c = clients[0];
  assert.strictEqual(c.id, 'hl', 'the client id must be "hl" for hl.trace.server to apply');
  // Exactly `hlc lsp`: a `transport` would make the real client add `--stdio`, which hlc refuses.
  assert.deepStrictEqual(c.serverOptions.run, { command: 'hlc', args: ['lsp'] });
  assert.deepStrictEqual(c.clientOptions.documentSelector, [{ scheme: 'file', language: 'hl' }]);
  assert.ok(c.started);
});

test('every command in package.json is registered', () => {
  const declared = manifest.contributes.commands.map((c) => c.command);
  assert.deepStrictEqual(declared, ['hl.restartServer']);
  for (const id of declared) assert.ok(commands.has(id), `${id} is not registered`);
});

test('the restart command stops the server and starts it with the current settings', async () => {
  settings['hl.server.path'] = '/opt/hlc/bin/hlc';
  settings['hl.server.extraArgs'] = ['--log', 'debug'];
  await commands.get('hl.restartServer')();
  assert.strictEqual(clients.length, 2);
  assert.ok(clients[0].disposed);
  assert.deepStrictEqual(clients[1].serverOptions.run.command, '/opt/hlc/bin/hlc');
  assert.deepStrictEqual(clients[1].serverOptions.run.args, ['lsp', '--log', 'debug']);
  assert.ok(clients[1].started);
});

test('a relative server path is relative to the first workspace folder', () => {
  settings['hl.server.path'] = 'target/debug/hlc';
  fakeVscode.workspace.workspaceFolders = [{ uri: { fsPath: '/src/hlc' } }];
  assert.strictEqual(extension.serverCommand().command, path.join('/src/hlc', 'target/debug/hlc'));
  settings['hl.server.path'] = 'hlc';
  assert.strictEqual(extension.serverCommand().command, 'hlc');
  delete fakeVscode.workspace.workspaceFolders;
});

test('a change to hl.server.* restarts the server; other settings do not', async () => {
  const before = clients.length;
  for (const l of configListeners) await l({ affectsConfiguration: (s) => s === 'editor' });
  assert.strictEqual(clients.length, before);
  for (const l of configListeners) l({ affectsConfiguration: (s) => s === 'hl.server' });
  await extension.deactivate();
  assert.strictEqual(clients.length, before + 1);
  assert.ok(clients.every((c) => c.disposed));
});

test('the settings in package.json are the ones the extension reads', () => {
  const props = manifest.contributes.configuration.properties;
  assert.strictEqual(props['hl.server.path'].default, 'hlc');
  assert.deepStrictEqual(props['hl.server.extraArgs'].default, []);
  assert.deepStrictEqual(props['hl.trace.server'].enum, ['off', 'messages', 'verbose']);
});

test('folding follows brackets and block comments, not braces in strings or comments', () => {
  const text = [
    'stack a {', //            0
    '  service web {', //      1
    '    image = "x}{"', //    2
    '    // a } in a comment', // 3
    '  }', //                  4
    '  command = [', //        5
    '    "a",', //             6
    '  ]', //                  7
    '  /* one', //             8
    '     two */', //          9
    '  resources { cpu = 1m }', // 10
    '}', //                    11
  ].join('\n');
  assert.deepStrictEqual(extension.foldingRanges(text), [
    { start: 1, end: 3 },
    { start: 5, end: 6 },
    { start: 8, end: 9, comment: true },
    { start: 0, end: 10 },
  ]);
});
