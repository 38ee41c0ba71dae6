package certificate

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sort"
	"strings"
)

// VerifyOptions tune Verify.
type VerifyOptions struct {
	// PublicKey, when set, is the key the certificate must be signed by
	// (the shop's, from LoadPublicKey). It implies RequireSignature.
	PublicKey ed25519.PublicKey
	// RequireSignature makes an unsigned certificate a finding.
	RequireSignature bool
}

// Kinds of finding.
const (
	FindingMissing     = "missing"     // a listed file is gone
	FindingChanged     = "changed"     // a listed file's content or size differs
	FindingUnlisted    = "unlisted"    // a file in the folder the manifest does not list
	FindingManifest    = "manifest"    // manifest.json is missing, unreadable or wrong
	FindingCertificate = "certificate" // certificate.json disagrees with the manifest
	FindingSignature   = "signature"   // signature.json missing, wrong, or by another key
)

// Finding is one thing wrong with a certificate's folder.
type Finding struct {
	Kind string `json:"kind"`
	// Path is the file concerned, relative to the folder.
	Path string `json:"path,omitempty"`
	// Message says in plain words what is wrong.
	Message string `json:"message"`
}

func (f Finding) String() string { return f.Message }

// Verification is what Verify found.
type Verification struct {
	Dir string `json:"dir"`
	// Files is how many files manifest.json lists.
	Files int `json:"files"`
	// Serial and Verdict are read from certificate.json, when it could be.
	Serial  string `json:"serial,omitempty"`
	Verdict string `json:"verdict,omitempty"`
	// Signed is true when signature.json holds a valid signature of
	// manifest.json.
	Signed bool `json:"signed"`
	// KeyFingerprint is the fingerprint of the key signature.json names
	// (see Fingerprint), for a person to compare with the shop's.
	KeyFingerprint string `json:"key_fingerprint,omitempty"`
	// KeyMatches is true when the signature was checked against
	// VerifyOptions.PublicKey and is by that key.
	KeyMatches bool      `json:"key_matches"`
	Findings   []Finding `json:"findings"`
}

// OK reports whether nothing is wrong.
func (v *Verification) OK() bool { return len(v.Findings) == 0 }

// String says in plain words what was found, one line per point.
func (v *Verification) String() string {
	var b strings.Builder
	what := "certificate"
	if v.Serial != "" {
		what = fmt.Sprintf("certificate of phone %s (verdict %s)", v.Serial, v.Verdict)
	}
	if v.OK() {
		fmt.Fprintf(&b, "OK: the %d files of the %s match manifest.json.\n", v.Files, what)
	} else {
		fmt.Fprintf(&b, "NOT OK: %d problem(s) with the %s in %s:\n", len(v.Findings), what, v.Dir)
		for _, f := range v.Findings {
			fmt.Fprintf(&b, "  - %s\n", f.Message)
		}
	}
	switch {
	case v.KeyMatches:
		fmt.Fprintf(&b, "Signed by the key given (fingerprint %s).\n", v.KeyFingerprint)
	case v.Signed:
		fmt.Fprintf(&b, "Signed by the key with fingerprint %s; no key was given to check it against: compare it with your shop's key.\n", v.KeyFingerprint)
	case v.KeyFingerprint == "" && v.OK():
		b.WriteString("Not signed: the hashes show damage, not who wrote the files.\n")
	}
	return b.String()
}

func (v *Verification) add(kind, path, format string, args ...any) {
	v.Findings = append(v.Findings, Finding{Kind: kind, Path: path, Message: fmt.Sprintf(format, args...)})
}

// Caps on what Verify reads into memory.
const (
	maxManifestBytes    = 16 << 20
	maxCertificateBytes = 16 << 20
	maxSignatureBytes   = 64 << 10
)

// Verify checks the certificate in dir: every file manifest.json lists
// must be there with the listed SHA-256 and size, no other file may be
// in the folder, certificate.json must agree with the manifest, and
// signature.json, when present (or required), must be a valid signature
// of manifest.json's exact bytes (by opts.PublicKey when given).
// Problems are findings in the result; the error is only for a folder
// that cannot be read at all.
func Verify(dir string, opts VerifyOptions) (*Verification, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("verify: %w", err)
	}
	defer root.Close()
	v := &Verification{Dir: dir, Findings: []Finding{}}

	manifestBytes, err := readSmall(root, ManifestFile, maxManifestBytes)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			v.add(FindingManifest, ManifestFile, "manifest.json is missing: this folder holds no certificate, or writing it did not finish")
		} else {
			v.add(FindingManifest, ManifestFile, "manifest.json cannot be read: %v", err)
		}
		return v, nil
	}
	listed := verifyManifest(root, v, manifestBytes)
	if listed == nil {
		return v, nil
	}
	if err := findUnlisted(root, v, listed); err != nil {
		return nil, fmt.Errorf("verify: %w", err)
	}
	verifySignature(root, v, manifestBytes, opts)
	return v, nil
}

// verifyManifest parses manifest.json and checks every file it lists;
// it returns the listed entries by path, nil when the manifest is
// unusable.
func verifyManifest(root *os.Root, v *Verification, data []byte) map[string]ManifestEntry {
	var m Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		v.add(FindingManifest, ManifestFile, "manifest.json is not valid JSON (%v): it was damaged or edited", err)
		return nil
	}
	switch {
	case m.Schema == 0:
		v.add(FindingManifest, ManifestFile, "manifest.json has no schema: it was not written by miacct")
		return nil
	case m.Schema > SchemaVersion:
		v.add(FindingManifest, ManifestFile, "manifest.json has schema %d, newer than this miacct reads (%d): update miacct", m.Schema, SchemaVersion)
		return nil
	case m.Schema < 0:
		v.add(FindingManifest, ManifestFile, "manifest.json has schema %d, which no miacct writes", m.Schema)
		return nil
	}
	listed := make(map[string]ManifestEntry, len(m.Files))
	v.Files = len(m.Files)
	for i, e := range m.Files {
		p, err := cleanRelPath(e.Path)
		if err != nil {
			v.add(FindingManifest, e.Path, "manifest.json entry %d: %v", i+1, err)
			continue
		}
		if p == ManifestFile || p == SignatureFile {
			v.add(FindingManifest, p, "manifest.json lists %s, which it cannot hold", p)
			continue
		}
		if _, dup := listed[p]; dup {
			v.add(FindingManifest, p, "manifest.json lists %s twice", p)
			continue
		}
		listed[p] = e
		want, err := hex.DecodeString(e.SHA256)
		if err != nil || len(want) != 32 || e.SHA256 != strings.ToLower(e.SHA256) {
			v.add(FindingManifest, p, "manifest.json gives %s a malformed SHA-256 %q", p, e.SHA256)
			continue
		}
		sum, size, err := hashFile(root, p)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			v.add(FindingMissing, p, "%s is missing (it was deleted or moved after the certificate was written)", p)
		case errors.Is(err, errNotRegular):
			v.add(FindingChanged, p, "%s is no longer a plain file: %v", p, err)
		case err != nil:
			v.add(FindingChanged, p, "%s cannot be read: %v", p, err)
		case sum != e.SHA256:
			v.add(FindingChanged, p, "%s was changed after the certificate was written (SHA-256 is %s, the manifest says %s)", p, sum, e.SHA256)
		case size != e.Size:
			v.add(FindingChanged, p, "%s has %d bytes, the manifest says %d", p, size, e.Size)
		}
	}
	for _, own := range []string{CertificateFile, PDFFile} {
		if _, ok := listed[own]; !ok {
			v.add(FindingManifest, own, "manifest.json does not list %s: this is not a complete certificate", own)
		}
	}
	if e, ok := listed[CertificateFile]; ok {
		checkCertificate(root, v, e, listed)
	}
	return listed
}

// checkCertificate reads certificate.json (when it matches the manifest)
// and checks that its evidence list agrees with the manifest's.
func checkCertificate(root *os.Root, v *Verification, entry ManifestEntry, listed map[string]ManifestEntry) {
	data, err := readSmall(root, CertificateFile, maxCertificateBytes)
	if err != nil || sha256Hex(data) != entry.SHA256 {
		return // already a finding
	}
	var c Certificate
	if err := json.Unmarshal(data, &c); err != nil {
		v.add(FindingCertificate, CertificateFile, "certificate.json is not a valid certificate (%v)", err)
		return
	}
	if c.Schema < 1 || c.Schema > SchemaVersion {
		v.add(FindingCertificate, CertificateFile, "certificate.json has schema %d; this miacct reads %d", c.Schema, SchemaVersion)
		return
	}
	v.Serial, v.Verdict = c.Phone.Serial, c.Verdict
	for _, e := range c.Evidence {
		m, ok := listed[e.Path]
		switch {
		case !ok:
			v.add(FindingCertificate, e.Path, "certificate.json lists evidence %s that manifest.json does not", e.Path)
		case m.SHA256 != e.SHA256 || m.Size != e.Size:
			v.add(FindingCertificate, e.Path, "certificate.json and manifest.json disagree on %s (one of them was edited)", e.Path)
		}
	}
}

// findUnlisted reports every file in the folder the manifest does not
// list (manifest.json and signature.json aside). Symlinks are reported,
// never followed.
func findUnlisted(root *os.Root, v *Verification, listed map[string]ManifestEntry) error {
	var extra []Finding
	err := fs.WalkDir(root.FS(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || p == ManifestFile || p == SignatureFile {
			return nil
		}
		if _, ok := listed[p]; ok {
			return nil
		}
		what := "is in the folder but not in manifest.json (added after the certificate was written)"
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			what = "is a symbolic link that manifest.json does not list"
		case strings.HasPrefix(d.Name(), tempPrefix):
			what = "is a temporary file left by an interrupted write, not part of the certificate"
		}
		extra = append(extra, Finding{Kind: FindingUnlisted, Path: p, Message: p + " " + what})
		return nil
	})
	if err != nil {
		return err
	}
	sort.Slice(extra, func(i, j int) bool { return extra[i].Path < extra[j].Path })
	v.Findings = append(v.Findings, extra...)
	return nil
}

// verifySignature checks signature.json against manifest.json's bytes.
func verifySignature(root *os.Root, v *Verification, manifest []byte, opts VerifyOptions) {
	required := opts.RequireSignature || opts.PublicKey != nil
	data, err := readSmall(root, SignatureFile, maxSignatureBytes)
	if errors.Is(err, fs.ErrNotExist) {
		if required {
			v.add(FindingSignature, SignatureFile, "signature.json is missing, and a signature is required")
		}
		return
	}
	if err != nil {
		v.add(FindingSignature, SignatureFile, "signature.json cannot be read: %v", err)
		return
	}
	var s Signature
	if err := json.Unmarshal(data, &s); err != nil {
		v.add(FindingSignature, SignatureFile, "signature.json is not valid JSON (%v): it was damaged or edited", err)
		return
	}
	if s.Algorithm != SignatureAlgorithm {
		v.add(FindingSignature, SignatureFile, "signature.json uses algorithm %q; miacct signs with %q", s.Algorithm, SignatureAlgorithm)
		return
	}
	if s.SignedFile != ManifestFile {
		v.add(FindingSignature, SignatureFile, "signature.json signs %q, not manifest.json", s.SignedFile)
		return
	}
	pub, err := base64.StdEncoding.DecodeString(s.PublicKey)
	if err != nil || len(pub) != ed25519.PublicKeySize {
		v.add(FindingSignature, SignatureFile, "signature.json holds no valid ed25519 public key")
		return
	}
	v.KeyFingerprint = Fingerprint(pub)
	if s.PublicKeyFingerprint != v.KeyFingerprint {
		v.add(FindingSignature, SignatureFile, "signature.json's fingerprint %q is not that of its own key (%s): it was edited", s.PublicKeyFingerprint, v.KeyFingerprint)
	}
	sig, err := base64.StdEncoding.DecodeString(s.Signature)
	if err != nil || len(sig) != ed25519.SignatureSize {
		v.add(FindingSignature, SignatureFile, "signature.json holds no valid ed25519 signature")
		return
	}
	if opts.PublicKey != nil {
		if ed25519.Verify(opts.PublicKey, manifest, sig) {
			v.Signed, v.KeyMatches = true, true
			v.KeyFingerprint = Fingerprint(opts.PublicKey)
			return
		}
		if !bytes.Equal(pub, opts.PublicKey) {
			v.add(FindingSignature, SignatureFile, "signed by another key (fingerprint %s), not by the key given (fingerprint %s)", v.KeyFingerprint, Fingerprint(opts.PublicKey))
			return
		}
	}
	if !ed25519.Verify(pub, manifest, sig) {
		v.add(FindingSignature, SignatureFile, "signature.json does not match manifest.json: the manifest was changed after signing, or signature.json comes from another certificate")
		return
	}
	v.Signed = true
}

// readSmall reads a file of the folder, without following a symlink,
// up to limit bytes.
func readSmall(root *os.Root, name string, limit int64) ([]byte, error) {
	f, info, err := openRegular(root, name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if info.Size() > limit {
		return nil, fmt.Errorf("%d bytes, more than the %d a %s can have", info.Size(), limit, name)
	}
	return io.ReadAll(io.LimitReader(f, limit+1))
}
