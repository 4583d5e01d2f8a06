#!/usr/bin/env node
// Benchmark peer: send every message of an HL7 v2 file over MLLP with node-hl7-client 3.x, one
// connection, each message after the previous one's ACK (the library's waitAck), and exit when
// every ACK is in. Usage: node node_hl7_client_send.js HOST PORT FILE
// Messages are split at segments starting "MSH|"; LF and CRLF become CR. node-hl7-client is looked
// up normally, then in the directory HL7PEER_NODE_DIR names (scripts/bench-mllp sets it).
'use strict';
const fs = require('fs');
const path = require('path');

function loadLib() {
  const dirs = [];
  if (process.env.HL7PEER_NODE_DIR) dirs.push(path.resolve(process.env.HL7PEER_NODE_DIR, 'node_modules', 'node-hl7-client'));
  dirs.push('node-hl7-client');
  for (const d of dirs) {
    try { return require(d); } catch (e) { /* next */ }
  }
  console.error('node_hl7_client_send: node-hl7-client not found (npm install node-hl7-client@3)');
  process.exit(3);
}

const [host, port, file] = process.argv.slice(2);
if (!file) { console.error('usage: node_hl7_client_send.js HOST PORT FILE'); process.exit(2); }
const { Client, Message } = loadLib();
const text = fs.readFileSync(file, 'latin1').replace(/\r\n|\n/g, '\r');
const messages = text.split(/\r(?=MSH\|)/).map((m) => m.replace(/\r*$/, '\r')).filter((m) => m.startsWith('MSH|'));
let acks = 0;
const client = new Client({ host });
let start;
// The library's own queue is flushed only when a connection opens, so each message is sent from
// the handler of the previous one's ACK (its waitAck model), the first once connected.
const outbound = client.createConnection({ port: Number(port), waitAck: true }, async () => {
  acks += 1;
  if (acks === messages.length) {
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    console.log(`${acks} ${seconds.toFixed(3)}`);
    await outbound.close();
    process.exit(0);
  }
  await outbound.sendMessage(new Message({ text: messages[acks] }));
});
outbound.once('connect', async () => {
  start = process.hrtime.bigint();
  await outbound.sendMessage(new Message({ text: messages[0] }));
});
