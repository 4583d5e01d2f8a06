#!/usr/bin/env node
// Benchmark peer: parse every message of an HL7 v2 file with node-hl7-client 3.x.
//
// Usage: node scripts/peers/node_hl7_client_parse.js [--walk] FILE
//
// Splits FILE into messages at segments that start with "MSH|" (segments are
// separated by CR; LF and CRLF are accepted and turned into CR), builds each one
// with `new Message({ text })` and reads PID-5.1 with
// `msg.get('PID.5.1').toString()`. node-hl7-client parses lazily: the constructor
// splits the message into segment lines and `get()` parses only the path it walks
// (PID -> field 5 -> component 1); that is the library's normal way of reading a
// value, so this is what a user of it pays. With --walk it instead visits every
// segment, field, repetition, component and sub-component and unescapes each
// leaf with toString(): a full parse, comparable to hl7.parse() or a converter
// that emits every value. Prints the number of messages on
// stdout. With HL7PEER_STATS=1 it also prints elapsed time and throughput of the
// read+split+parse loop on stderr.
//
// node-hl7-client is looked up normally first, then in build-bench/node (where
// scripts/bench-parse installs it), or in the directory named by HL7PEER_NODE_DIR.
'use strict';

const fs = require('fs');
const path = require('path');

function loadLib() {
  const candidates = [];
  if (process.env.HL7PEER_NODE_DIR) {
    candidates.push(path.resolve(process.env.HL7PEER_NODE_DIR, 'node_modules', 'node-hl7-client'));
  }
  candidates.push('node-hl7-client');
  candidates.push(path.resolve(__dirname, '..', '..', 'build-bench', 'node', 'node_modules', 'node-hl7-client'));
  let lastErr = null;
  for (const c of candidates) {
    try {
      return { lib: require(c), where: c };
    } catch (e) {
      if (e && e.code !== 'MODULE_NOT_FOUND') throw e;
      lastErr = e;
    }
  }
  process.stderr.write('node_hl7_client_parse.js: cannot load node-hl7-client (' +
    (lastErr ? lastErr.message.split('\n')[0] : '?') + ');\n' +
    '  install it with: npm install --prefix build-bench/node node-hl7-client@3\n');
  process.exit(2);
}

function libVersion(where) {
  try {
    const base = where === 'node-hl7-client' ? path.dirname(require.resolve('node-hl7-client/package.json')) : where;
    return JSON.parse(fs.readFileSync(path.join(base, 'package.json'), 'utf8')).version;
  } catch (e) {
    try {
      // package.json may not be exported; find it next to the resolved entry point.
      let dir = path.dirname(require.resolve(where));
      for (let i = 0; i < 5; i++) {
        const p = path.join(dir, 'package.json');
        if (fs.existsSync(p)) {
          const j = JSON.parse(fs.readFileSync(p, 'utf8'));
          if (j.name === 'node-hl7-client') return j.version;
        }
        dir = path.dirname(dir);
      }
    } catch (e2) { /* ignore */ }
    return '?';
  }
}

function splitMessages(data) {
  if (data.indexOf('\n') !== -1) data = data.replace(/\r\n/g, '\r').replace(/\n/g, '\r');
  const parts = data.split('\rMSH|');
  const out = [];
  let first = parts[0];
  if (!first.startsWith('MSH|')) {
    const idx = first.indexOf('MSH|');
    first = idx >= 0 ? first.slice(idx) : '';
  }
  if (first) out.push(first);
  for (let i = 1; i < parts.length; i++) out.push('MSH|' + parts[i]);
  return out;
}

// Visit every leaf: Message -> Segment -> Field -> Repetition -> Component -> SubComponent.
function walkMessage(msg) {
  let n = 0;
  msg.forEach((seg) => seg.forEach((field) => field.forEach((rep) => rep.forEach((comp) =>
    comp.forEach((sub) => { n += sub.toString().length; })))));
  return n;
}

function main(argv) {
  let walk = false;
  if (argv[0] === '--walk') { walk = true; argv = argv.slice(1); }
  if (argv.length !== 1 || argv[0] === '-h' || argv[0] === '--help') {
    process.stderr.write('usage: node_hl7_client_parse.js [--walk] FILE\n');
    return 2;
  }
  const { lib, where } = loadLib();
  const { Message } = lib;
  const t0 = process.hrtime.bigint();
  const raw = fs.readFileSync(argv[0]);
  // The generated text mix carries some UTF-8 (names); decode it as a real reader of such a feed would.
  const data = raw.toString('utf8');
  const messages = splitMessages(data);
  let count = 0;
  let touched = 0;
  for (const text of messages) {
    const msg = new Message({ text });
    touched += walk ? walkMessage(msg) : msg.get('PID.5.1').toString().length;
    count++;
  }
  const elapsed = Number(process.hrtime.bigint() - t0) / 1e9;
  process.stdout.write(count + '\n');
  if (process.env.HL7PEER_STATS && process.env.HL7PEER_STATS !== '0') {
    const mb = raw.length / 1048576;
    process.stderr.write(`node-hl7-client ${libVersion(where)} (node ${process.version})` +
      `${walk ? ' --walk' : ''}: ${count} messages, ` +
      `${mb.toFixed(2)} MB in ${elapsed.toFixed(3)} s = ${(mb / elapsed).toFixed(2)} MB/s, ` +
      `${(count / elapsed).toFixed(0)} msg/s (${walk ? 'leaf' : 'PID-5.1'} chars touched: ${touched})\n`);
  }
  return 0;
}

process.exitCode = main(process.argv.slice(2));
