'use strict';
// The packaged extension holds what VS Code needs to run it: the entry point, the grammar,
// the language configuration and the language client with its dependencies. A .vsix is a zip
// archive; its central directory lists the entries.

const fs = require('node:fs');
const path = require('node:path');

const manifest = require('../package.json');
const vsix = path.join(__dirname, '..', 'dist', `${manifest.name}-${manifest.version}.vsix`);

function zipEntries(buf) {
  // The end-of-central-directory record is in the last 64 KiB + 22 bytes.
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 65557); i--) {
    if (buf.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new Error(`${vsix} is not a zip archive`);
  const count = buf.readUInt16LE(eocd + 10);
  let p = buf.readUInt32LE(eocd + 16);
  const names = [];
  for (let n = 0; n < count; n++) {
    if (buf.readUInt32LE(p) !== 0x02014b50) throw new Error(`${vsix}: bad central directory entry`);
    const nameLen = buf.readUInt16LE(p + 28);
    const extraLen = buf.readUInt16LE(p + 30);
    const commentLen = buf.readUInt16LE(p + 32);
    names.push(buf.toString('utf8', p + 46, p + 46 + nameLen));
    p += 46 + nameLen + extraLen + commentLen;
  }
  return names;
}

const entries = zipEntries(fs.readFileSync(vsix));
const required = [
  'extension/package.json',
  'extension/extension.js',
  'extension/language-configuration.json',
  'extension/syntaxes/hl.tmLanguage.json',
  'extension/readme.md',
  'extension/node_modules/vscode-languageclient/package.json',
  'extension/node_modules/vscode-languageclient/node.js',
  'extension/node_modules/vscode-jsonrpc/package.json',
  'extension/node_modules/vscode-languageserver-protocol/package.json',
];
const missing = required.filter((e) => !entries.includes(e));
const unwanted = entries.filter((e) =>
  /^extension\/(test\/|dist\/|node_modules\/(@vscode\/vsce|vscode-tmgrammar-test)\/)/.test(e),
);
if (missing.length || unwanted.length) {
  if (missing.length) console.error(`${vsix} lacks:\n  ${missing.join('\n  ')}`);
  if (unwanted.length) console.error(`${vsix} should not hold:\n  ${unwanted.slice(0, 10).join('\n  ')}`);
  process.exit(1);
}
const kib = Math.round(fs.statSync(vsix).size / 1024);
console.log(`check-vsix: ${path.basename(vsix)} (${kib} KiB, ${entries.length} files) holds the extension, its grammar and its language client`);
