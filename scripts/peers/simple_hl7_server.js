#!/usr/bin/env node
// Benchmark peer: simple-hl7's MLLP server (npm simple-hl7), answering each message with its
// default ACK. Usage: node simple_hl7_server.js PORT. Prints "listening on 127.0.0.1:PORT" on
// stderr once started. simple-hl7 is looked up normally, then under HL7PEER_NODE_DIR.
'use strict';
const path = require('path');
let hl7;
for (const d of [process.env.HL7PEER_NODE_DIR && path.resolve(process.env.HL7PEER_NODE_DIR, 'node_modules', 'simple-hl7'), 'simple-hl7']) {
  if (!d) continue;
  try { hl7 = require(d); break; } catch (e) { /* next */ }
}
if (!hl7) { console.error('simple_hl7_server: simple-hl7 not found (npm install simple-hl7)'); process.exit(3); }
const port = Number(process.argv[2]);
const app = hl7.tcp();
app.use((req, res, next) => { res.end(); });
app.use((err, req, res, next) => { res.end(); });
app.start(port);
setTimeout(() => console.error(`listening on 127.0.0.1:${port}`), 200);
