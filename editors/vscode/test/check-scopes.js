'use strict';
// vscode-tmgrammar-test compares scope names exactly, so an assertion that a token does *not*
// have a misspelt or shortened scope (`- comment`) always passes. Every scope named in a
// grammar test must therefore be one the grammar can produce.

const fs = require('node:fs');
const path = require('node:path');

const grammar = require('../syntaxes/hl.tmLanguage.json');
const known = new Set([grammar.scopeName]);
(function collect(node) {
  if (Array.isArray(node)) return node.forEach(collect);
  if (node === null || typeof node !== 'object') return;
  for (const [key, value] of Object.entries(node)) {
    if ((key === 'name' || key === 'contentName') && typeof value === 'string') {
      value.split(/\s+/).forEach((s) => known.add(s));
    } else {
      collect(value);
    }
  }
})(grammar.repository);
grammar.patterns.forEach((p) => p.name && known.add(p.name));

const dir = path.join(__dirname, 'grammar');
const problems = [];
let assertions = 0;
for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.test.hl'))) {
  const lines = fs.readFileSync(path.join(dir, file), 'utf8').split('\n');
  if (!/^\/\/ SYNTAX TEST "source\.hl"/.test(lines[0])) problems.push(`${file}: missing the SYNTAX TEST header`);
  lines.forEach((line, i) => {
    const m = /^\/\/\s*(?:\^+|<~*-+)\s(.*)$/.exec(line);
    if (!m) return;
    assertions++;
    for (const scope of m[1].split(/\s+/).filter((s) => s && s !== '-')) {
      if (!known.has(scope)) problems.push(`${file}:${i + 1}: the grammar has no scope "${scope}"`);
    }
  });
}
if (problems.length) {
  console.error(problems.join('\n'));
  process.exit(1);
}
console.log(`check-scopes: ${assertions} assertions name only scopes of the grammar`);
