// adbkit.js: the Node peer of miacct's side-by-side benchmark (group 2 of
// BENCHMARKS.md). It talks to the same adb server and fake phone through
// @devicefarmer/adbkit, which the benchmark installs from the npm registry
// into a temporary directory (NODE_PATH), and prints its timings as JSON.
//
// Usage: node adbkit.js PORT SERIAL TRIPS DUMPS FILE1 FILE2 OUTDIR
// (FILE1, FILE2: local files of 1 MB and 10 MB to push, then pull back
// into OUTDIR). Node's start and the require are not timed.
'use strict';
const fs = require('fs');
const path = require('path');
const Adb = require('@devicefarmer/adbkit').default;

const [port, serial, trips, dumps, file1, file2, outDir] = process.argv.slice(2);

function ms(start) { return Number(process.hrtime.bigint() - start) / 1e6; }

function finished(transfer) {
  return new Promise((resolve, reject) => {
    transfer.on('end', resolve);
    transfer.on('error', reject);
  });
}

async function main() {
  const client = Adb.createClient({ host: '127.0.0.1', port: Number(port) });
  const device = client.getDevice(serial);
  const out = {};

  let start = process.hrtime.bigint();
  for (let i = 0; i < Number(trips); i++) {
    const got = (await Adb.util.readAll(await device.shell('getprop ro.product.model'))).toString();
    if (got.trim() === '') throw new Error('empty getprop');
  }
  out.trips_ms = ms(start);

  start = process.hrtime.bigint();
  for (let i = 0; i < Number(dumps); i++) {
    const xml = (await Adb.util.readAll(await device.shell('uiautomator dump /dev/tty'))).toString();
    if (!xml.includes('</hierarchy>')) throw new Error('no hierarchy in the dump');
  }
  out.dumps_ms = ms(start);

  for (const [key, file] of [['1', file1], ['10', file2]]) {
    const remote = '/sdcard/Download/adbkit-' + key + '.bin';
    start = process.hrtime.bigint();
    await finished(await device.push(file, remote));
    out['push' + key + '_ms'] = ms(start);
    const back = path.join(outDir, 'adbkit-' + key + '.bin');
    start = process.hrtime.bigint();
    const transfer = await device.pull(remote);
    const sink = fs.createWriteStream(back);
    transfer.pipe(sink);
    await new Promise((resolve, reject) => {
      sink.on('finish', resolve);
      transfer.on('error', reject);
      sink.on('error', reject);
    });
    out['pull' + key + '_ms'] = ms(start);
  }
  process.stdout.write(JSON.stringify(out) + '\n');
}

main().catch((err) => {
  process.stderr.write('adbkit peer: ' + (err && err.stack || err) + '\n');
  process.exit(1);
});
