'use strict';
// The hl extension: the language itself (grammar, brackets, comments) is declared in
// package.json; this file starts the language server (`hlc lsp` over stdio), restarts it on
// demand or when its settings change, and folds on brackets.

const os = require('os');
const path = require('path');
const vscode = require('vscode');
const { LanguageClient } = require('vscode-languageclient/node');

const SELECTOR = [{ scheme: 'file', language: 'hl' }];

let client;
let outputChannel;
// Restarts and the final stop run one after the other, even when several settings change at once.
let restarting = Promise.resolve();

/** The command line of the server, from the `hl.server.*` settings. */
function serverCommand() {
  const config = vscode.workspace.getConfiguration('hl.server');
  let command = config.get('path') || 'hlc';
  const folders = vscode.workspace.workspaceFolders;
  if (command.startsWith('~/')) {
    command = path.join(os.homedir(), command.slice(2));
  } else if (command.includes('/') && !path.isAbsolute(command) && folders && folders.length > 0) {
    // A relative path (`target/debug/hlc`) is relative to the first workspace folder.
    command = path.join(folders[0].uri.fsPath, command);
  }
  const extraArgs = config.get('extraArgs') || [];
  return { command, args: ['lsp', ...extraArgs] };
}

async function startServer() {
  const { command, args } = serverCommand();
  // No `transport`: the client then talks over the process's stdio as it is. With
  // `TransportKind.stdio` it would append `--stdio` to the arguments, which `hlc lsp` refuses.
  const executable = { command, args };
  // The id 'hl' makes the client read its trace level from `hl.trace.server`.
  client = new LanguageClient(
    'hl',
    'hl language server',
    { run: executable, debug: executable },
    { documentSelector: SELECTOR, outputChannel },
  );
  try {
    await client.start();
  } catch (err) {
    // The client has already logged the failure; say what to check.
    outputChannel.appendLine(
      `Could not start \`${[command, ...args].join(' ')}\`: ${err && err.message ? err.message : err}. ` +
        'Check that hlc is installed and that the "hl.server.path" setting points to it.',
    );
  }
}

async function stopServer() {
  const running = client;
  client = undefined;
  if (running) {
    try {
      await running.dispose();
    } catch (_) {
      // A server that never started cannot be stopped; nothing is left to clean up.
    }
  }
}

function restartServer() {
  restarting = restarting.then(async () => {
    await stopServer();
    await startServer();
  });
  return restarting;
}

/**
 * Folding ranges for every bracket pair and block comment that spans lines. Strings and
 * comments are skipped, so a brace inside them does not count. Pure, for the tests.
 */
function foldingRanges(text) {
  const ranges = [];
  const open = [];
  let line = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\n') {
      line++;
    } else if (c === '/' && text[i + 1] === '/') {
      while (i + 1 < text.length && text[i + 1] !== '\n') i++;
    } else if (c === '/' && text[i + 1] === '*') {
      const start = line;
      i += 2;
      while (i < text.length && !(text[i] === '*' && text[i + 1] === '/')) {
        if (text[i] === '\n') line++;
        i++;
      }
      i++;
      if (line > start) ranges.push({ start, end: line, comment: true });
    } else if (c === '"') {
      // Strings end at their quote or at the end of the line.
      while (i + 1 < text.length && text[i + 1] !== '"' && text[i + 1] !== '\n') {
        i += text[i + 1] === '\\' ? 2 : 1;
      }
      if (text[i + 1] === '"') i++;
    } else if (c === '{' || c === '[' || c === '(') {
      open.push(line);
    } else if (c === '}' || c === ']' || c === ')') {
      const start = open.pop();
      // Keep the closing line visible: fold up to the line before it.
      if (start !== undefined && line - 1 > start) ranges.push({ start, end: line - 1 });
    }
  }
  return ranges;
}

function activate(context) {
  outputChannel = vscode.window.createOutputChannel('hl language server');
  context.subscriptions.push(
    outputChannel,
    vscode.commands.registerCommand('hl.restartServer', restartServer),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('hl.server')) restartServer();
    }),
    vscode.languages.registerFoldingRangeProvider(SELECTOR, {
      provideFoldingRanges(document) {
        return foldingRanges(document.getText()).map(
          (r) =>
            new vscode.FoldingRange(r.start, r.end, r.comment ? vscode.FoldingRangeKind.Comment : undefined),
        );
      },
    }),
  );
  // Not awaited: a server that is slow to initialise must not hold up the editor.
  restarting = startServer();
}

function deactivate() {
  restarting = restarting.then(stopServer);
  return restarting;
}

module.exports = { activate, deactivate, foldingRanges, serverCommand };
