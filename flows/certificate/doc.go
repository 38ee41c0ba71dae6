// Package certificate writes and checks the proof a repair shop files for
// each phone miacct worked on: that the phone is clear to resell, or why
// it is not.
//
// # What a shop gets
//
// For each run of `miacct remove` or `miacct audit` with a report
// folder, Write adds to the folder, next to the evidence the run saved
// there (screenshots, screen hierarchies, report.json, log):
//
//   - certificate.pdf: one A4 document to print or file. It shows the
//     verdict in large letters, the phone (model, serial, IMEIs, OS), the
//     Xiaomi account, Find device, Google accounts, factory reset
//     protection, device/profile owner, screen lock and battery at the
//     start and at the end of the run, the steps (remove) or checks
//     (audit), who ran it, when, on which computer and with which
//     version, and every evidence file with its full SHA-256. The text is
//     real text (the Go fonts are embedded: Latin, Greek, Cyrillic), so it
//     can be searched and copied. Characters the Go fonts lack (Chinese,
//     Japanese, emoji, Arabic...) print as "?"; they never break the PDF,
//     and certificate.json keeps them exactly.
//   - certificate.json: the same data for programs (schema below).
//   - manifest.json: every file of the certificate (the evidence,
//     certificate.json and certificate.pdf) with its SHA-256 and size.
//   - signature.json, when the shop signs: an ed25519 signature of the
//     exact bytes of manifest.json, with the public key and its
//     fingerprint.
//
// WriteSummary writes summary.csv and summary.html for a batch of
// phones: one line per phone with its verdict and where its certificate
// is.
//
// # Verdicts
//
// The verdict is one of three words, decided by Assess from the state of
// the phone read at the end of the run:
//
//   - "clear": the run finished; no Xiaomi account, Find device off, no
//     Google account, factory reset protection off, no device or profile
//     owner, each of them read. The phone can be resold.
//   - "not clear": the run finished, but something still ties the phone
//     to someone, or could not be read. verdict_reasons says what. Do not
//     resell yet.
//   - "failed": the run did not finish (error says why). The phone's
//     state is not certified either way; fix the cause and run again.
//
// A screen lock and a low battery are shown but are no reasons: a reset
// clears the one, a charger the other. Write refuses a "clear" that the
// certificate's own content contradicts.
//
// # How verification works
//
// Verify (behind `miacct verify DIR`) reads manifest.json, hashes every
// file it lists and compares hash and size; it reports each file that is
// missing, changed, or present in the folder without being listed, and
// checks that certificate.json's evidence list agrees with the manifest.
// The hashes show damage or careless edits. They do not show who wrote
// the files: anyone can rewrite a folder and its manifest. A signature
// does: with signature.json, manifest.json (and through its hashes every
// file) is covered by the shop's ed25519 key. Given the shop's public
// key (VerifyOptions.PublicKey, from `verify --key pub.pem`), Verify
// requires a signature by that key; without it, Verify reports the
// fingerprint of the key that signed so a person can compare it with the
// shop's, which the PDF also prints.
//
// Keys are made with openssl:
//
//	openssl genpkey -algorithm ed25519 -out key.pem    # keep it chmod 600
//	openssl pkey -in key.pem -pubout -out pub.pem      # give this one out
//
// LoadSignKey reads key.pem (refusing other key types, encrypted keys and
// a key file others can read), WritePublicKey writes pub.pem, and
// LoadPublicKey reads it back. A fingerprint is the SHA-256 of the 32 raw
// public key bytes in hex: `openssl pkey -pubin -in pub.pem -outform DER
// | tail -c 32 | sha256sum`.
//
// # Files on disk
//
// Write creates the folder (mode 0700) when it does not exist and
// writes every file with mode 0600 to a temporary file in the folder,
// syncs it and renames it into place. A certificate file name that
// exists as a symbolic link (or anything but a regular file) is refused
// before anything is touched, and evidence is hashed only when it is a
// regular file reached without a symbolic link. Any error is returned,
// and the certificate files of that write (and of an earlier certificate
// in the same folder) are gone: a full disk never leaves a certificate
// that looks valid.
//
// # Schema
//
// SCHEMA.md in this package's folder documents every key of
// certificate.json, manifest.json and signature.json. The "schema" key
// (SchemaVersion, 1) changes only when a key changes meaning or goes
// away.
//
// The package takes plain data: it imports nothing of miacct's adb or
// flows packages, so the CLI fills a Certificate from whatever it read.
package certificate
