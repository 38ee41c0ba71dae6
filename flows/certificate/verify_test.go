package certificate

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func readSignature(t *testing.T, dir string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, SignatureFile))
	require.NoError(t, err)
	var s Signature
	require.NoError(t, json.Unmarshal(data, &s))
	sig, err := base64.StdEncoding.DecodeString(s.Signature)
	require.NoError(t, err)
	return sig
}

// signedCertificate writes a signed remove certificate into a new folder.
func signedCertificate(t *testing.T, key ed25519.PrivateKey) string {
	t.Helper()
	dir := t.TempDir()
	require.NoError(t, Write(dir, sampleRemove(t, dir), WriteOptions{SignKey: key}))
	return dir
}

// TestVerify: an untouched certificate is OK; every kind of tampering is
// a finding of the right kind, about the right file, in plain words.
func TestVerify(t *testing.T) {
	key := newKey(t)
	pub := key.Public().(ed25519.PublicKey)
	other := newKey(t)
	template := signedCertificate(t, key)
	for _, tc := range []struct {
		name    string
		tamper  func(t *testing.T, dir string)
		opts    VerifyOptions
		kind    string // "" for OK
		path    string
		message string
	}{
		{name: "untouched", tamper: func(*testing.T, string) {}},
		{name: "untouched, key given", tamper: func(*testing.T, string) {}, opts: VerifyOptions{PublicKey: pub}},
		{
			name: "evidence changed",
			tamper: func(t *testing.T, dir string) {
				require.NoError(t, os.WriteFile(filepath.Join(dir, "04-sign-out.png"), []byte("another screen"), 0o600))
			},
			kind: FindingChanged, path: "04-sign-out.png", message: "04-sign-out.png was changed after the certificate was written",
		},
		{
			name: "evidence changed, same size",
			tamper: func(t *testing.T, dir string) {
				p := filepath.Join(dir, "report.json")
				data, _ := os.ReadFile(p)
				data[0] ^= 1
				require.NoError(t, os.WriteFile(p, data, 0o600))
			},
			kind: FindingChanged, path: "report.json", message: "report.json was changed",
		},
		{
			name:   "evidence deleted",
			tamper: func(t *testing.T, dir string) { require.NoError(t, os.Remove(filepath.Join(dir, "07-reboot.xml"))) },
			kind:   FindingMissing, path: "07-reboot.xml", message: "07-reboot.xml is missing",
		},
		{
			name: "file added",
			tamper: func(t *testing.T, dir string) {
				require.NoError(t, os.WriteFile(filepath.Join(dir, "extra.png"), []byte("x"), 0o600))
			},
			kind: FindingUnlisted, path: "extra.png", message: "extra.png is in the folder but not in manifest.json",
		},
		{
			name: "file added in a subfolder",
			tamper: func(t *testing.T, dir string) {
				require.NoError(t, os.MkdirAll(filepath.Join(dir, "more"), 0o700))
				require.NoError(t, os.WriteFile(filepath.Join(dir, "more", "x.txt"), []byte("x"), 0o600))
			},
			kind: FindingUnlisted, path: "more/x.txt", message: "more/x.txt is in the folder but not in manifest.json",
		},
		{
			name: "temporary file left",
			tamper: func(t *testing.T, dir string) {
				require.NoError(t, os.WriteFile(filepath.Join(dir, tempPrefix+"0011-certificate.pdf"), []byte("%PDF-"), 0o600))
			},
			kind: FindingUnlisted, path: tempPrefix + "0011-certificate.pdf", message: "is a temporary file left by an interrupted write",
		},
		{
			name: "symlink added",
			tamper: func(t *testing.T, dir string) {
				require.NoError(t, os.Symlink("/etc/hostname", filepath.Join(dir, "link")))
			},
			kind: FindingUnlisted, path: "link", message: "link is a symbolic link",
		},
		{
			name: "evidence replaced by a symlink",
			tamper: func(t *testing.T, dir string) {
				p := filepath.Join(dir, "log.txt")
				data, _ := os.ReadFile(p)
				outside := filepath.Join(t.TempDir(), "log.txt")
				require.NoError(t, os.WriteFile(outside, data, 0o600))
				require.NoError(t, os.Remove(p))
				require.NoError(t, os.Symlink(outside, p))
			},
			kind: FindingChanged, path: "log.txt", message: "log.txt is no longer a plain file: it is a symbolic link",
		},
		{
			name: "certificate.json edited",
			tamper: func(t *testing.T, dir string) {
				p := filepath.Join(dir, CertificateFile)
				data, _ := os.ReadFile(p)
				data = []byte(strings.Replace(string(data), `"verdict": "clear"`, `"verdict": "CLEAR"`, 1))
				require.NoError(t, os.WriteFile(p, data, 0o600))
			},
			kind: FindingChanged, path: CertificateFile, message: "certificate.json was changed after the certificate was written",
		},
		{
			name: "certificate.json and manifest edited together",
			tamper: func(t *testing.T, dir string) {
				editCertificate(t, dir, func(c *Certificate) { c.Phone.Serial = "stolen1" })
			},
			kind: FindingSignature, path: SignatureFile, message: "signature.json does not match manifest.json",
		},
		{
			name: "re-signed by another key",
			tamper: func(t *testing.T, dir string) {
				editCertificate(t, dir, func(c *Certificate) { c.Phone.Serial = "stolen1" })
				resign(t, dir, other)
			},
			opts: VerifyOptions{PublicKey: pub},
			kind: FindingSignature, path: SignatureFile, message: "signed by another key (fingerprint " + Fingerprint(other.Public().(ed25519.PublicKey)) + "), not by the key given (fingerprint " + Fingerprint(pub) + ")",
		},
		{
			name: "signature.json swapped from another certificate",
			tamper: func(t *testing.T, dir string) {
				otherDir := t.TempDir()
				c := sampleAudit(t, otherDir)
				require.NoError(t, Write(otherDir, c, WriteOptions{SignKey: key}))
				data, err := os.ReadFile(filepath.Join(otherDir, SignatureFile))
				require.NoError(t, err)
				require.NoError(t, os.WriteFile(filepath.Join(dir, SignatureFile), data, 0o600))
			},
			opts: VerifyOptions{PublicKey: pub},
			kind: FindingSignature, path: SignatureFile, message: "signature.json does not match manifest.json: the manifest was changed after signing, or signature.json comes from another certificate",
		},
		{
			name: "fingerprint edited",
			tamper: func(t *testing.T, dir string) {
				editSignature(t, dir, func(s *Signature) { s.PublicKeyFingerprint = strings.Repeat("a", 64) })
			},
			kind: FindingSignature, path: SignatureFile, message: "is not that of its own key",
		},
		{
			name: "public key swapped in signature.json",
			tamper: func(t *testing.T, dir string) {
				editSignature(t, dir, func(s *Signature) {
					p := other.Public().(ed25519.PublicKey)
					s.PublicKey = base64.StdEncoding.EncodeToString(p)
					s.PublicKeyFingerprint = Fingerprint(p)
				})
			},
			kind: FindingSignature, path: SignatureFile, message: "signature.json does not match manifest.json",
		},
		{
			name:   "signature removed, signature required",
			tamper: func(t *testing.T, dir string) { require.NoError(t, os.Remove(filepath.Join(dir, SignatureFile))) },
			opts:   VerifyOptions{RequireSignature: true},
			kind:   FindingSignature, path: SignatureFile, message: "signature.json is missing, and a signature is required",
		},
		{
			name:   "signature removed, key given",
			tamper: func(t *testing.T, dir string) { require.NoError(t, os.Remove(filepath.Join(dir, SignatureFile))) },
			opts:   VerifyOptions{PublicKey: pub},
			kind:   FindingSignature, path: SignatureFile, message: "a signature is required",
		},
		{
			name:   "manifest deleted",
			tamper: func(t *testing.T, dir string) { require.NoError(t, os.Remove(filepath.Join(dir, ManifestFile))) },
			kind:   FindingManifest, path: ManifestFile, message: "manifest.json is missing",
		},
		{
			name: "manifest not JSON",
			tamper: func(t *testing.T, dir string) {
				require.NoError(t, os.WriteFile(filepath.Join(dir, ManifestFile), []byte("{"), 0o600))
			},
			kind: FindingManifest, path: ManifestFile, message: "manifest.json is not valid JSON",
		},
		{
			name: "manifest from a newer miacct",
			tamper: func(t *testing.T, dir string) {
				editManifest(t, dir, func(m *Manifest) { m.Schema = 2 })
			},
			kind: FindingManifest, path: ManifestFile, message: "newer than this miacct reads",
		},
		{
			name: "manifest lists a path outside",
			tamper: func(t *testing.T, dir string) {
				editManifest(t, dir, func(m *Manifest) { m.Files[2].Path = "../" + m.Files[2].Path })
			},
			kind: FindingManifest, path: "../report.json", message: "want a clean path inside the folder",
		},
		{
			name: "evidence dropped from the manifest",
			tamper: func(t *testing.T, dir string) {
				editManifest(t, dir, func(m *Manifest) { m.Files = append(m.Files[:3], m.Files[4:]...) })
			},
			kind: FindingCertificate, path: "log.txt", message: "certificate.json lists evidence log.txt that manifest.json does not",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := copyFolder(t, template)
			tc.tamper(t, dir)
			v, err := Verify(dir, tc.opts)
			require.NoError(t, err)
			if tc.kind == "" {
				assert.True(t, v.OK(), v.String())
				assert.Equal(t, "6d8f2a41", v.Serial)
				assert.Equal(t, VerdictClear, v.Verdict)
				assert.True(t, v.Signed)
				assert.Contains(t, v.String(), "OK: the 20 files of the certificate of phone 6d8f2a41 (verdict clear) match manifest.json.")
				return
			}
			assert.False(t, v.OK())
			require.NotEmpty(t, v.Findings)
			var found bool
			for _, f := range v.Findings {
				if f.Kind == tc.kind && f.Path == tc.path && strings.Contains(f.Message, tc.message) {
					found = true
				}
			}
			assert.True(t, found, "want a %s finding on %s saying %q; got:\n%s", tc.kind, tc.path, tc.message, v.String())
			assert.Contains(t, v.String(), "NOT OK")
		})
	}
}

// TestVerifyUnsigned: an unsigned certificate is OK unless a signature
// is asked for, and says what that means.
func TestVerifyUnsigned(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, Write(dir, sampleAudit(t, dir), WriteOptions{}))
	v, err := Verify(dir, VerifyOptions{})
	require.NoError(t, err)
	assert.True(t, v.OK(), v.String())
	assert.False(t, v.Signed)
	assert.Contains(t, v.String(), "Not signed")
	assert.Equal(t, 7, v.Files)
}

func TestVerifyNoFolder(t *testing.T) {
	_, err := Verify(filepath.Join(t.TempDir(), "nope"), VerifyOptions{})
	assert.Error(t, err)
}

// editCertificate changes certificate.json and updates the manifest to
// match, as someone covering their tracks would.
func editCertificate(t *testing.T, dir string, edit func(*Certificate)) {
	t.Helper()
	p := filepath.Join(dir, CertificateFile)
	data, err := os.ReadFile(p)
	require.NoError(t, err)
	var c Certificate
	require.NoError(t, json.Unmarshal(data, &c))
	edit(&c)
	data, err = encodeJSON(&c)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(p, data, 0o600))
	editManifest(t, dir, func(m *Manifest) {
		for i := range m.Files {
			if m.Files[i].Path == CertificateFile {
				m.Files[i].SHA256, m.Files[i].Size = sha256Hex(data), int64(len(data))
			}
		}
	})
}

func editManifest(t *testing.T, dir string, edit func(*Manifest)) {
	t.Helper()
	p := filepath.Join(dir, ManifestFile)
	data, err := os.ReadFile(p)
	require.NoError(t, err)
	var m Manifest
	require.NoError(t, json.Unmarshal(data, &m))
	edit(&m)
	data, err = encodeJSON(&m)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(p, data, 0o600))
}

func editSignature(t *testing.T, dir string, edit func(*Signature)) {
	t.Helper()
	p := filepath.Join(dir, SignatureFile)
	data, err := os.ReadFile(p)
	require.NoError(t, err)
	var s Signature
	require.NoError(t, json.Unmarshal(data, &s))
	edit(&s)
	data, err = encodeJSON(&s)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(p, data, 0o600))
}

func resign(t *testing.T, dir string, key ed25519.PrivateKey) {
	t.Helper()
	manifest, err := os.ReadFile(filepath.Join(dir, ManifestFile))
	require.NoError(t, err)
	data, err := encodeJSON(sign(key, manifest))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, SignatureFile), data, 0o600))
}

// TestVerifyReportsFingerprint: re-signed by another key and checked
// without a key, the certificate is internally sound, so it is only the
// fingerprint, reported and different from the shop's, that tells.
func TestVerifyReportsFingerprint(t *testing.T) {
	shop, thief := newKey(t), newKey(t)
	dir := signedCertificate(t, shop)
	editCertificate(t, dir, func(c *Certificate) { c.Phone.Serial = "stolen1" })
	resign(t, dir, thief)
	v, err := Verify(dir, VerifyOptions{})
	require.NoError(t, err)
	assert.True(t, v.OK(), v.String())
	thiefFP := Fingerprint(thief.Public().(ed25519.PublicKey))
	assert.Equal(t, thiefFP, v.KeyFingerprint)
	assert.NotEqual(t, Fingerprint(shop.Public().(ed25519.PublicKey)), v.KeyFingerprint)
	assert.Contains(t, v.String(), "Signed by the key with fingerprint "+thiefFP+"; no key was given to check it against")
}

// TestVerifySymlinkedSignature: a signature.json that is a symlink is
// not read through.
func TestVerifySymlinkedSignature(t *testing.T) {
	key := newKey(t)
	dir := signedCertificate(t, key)
	p := filepath.Join(dir, SignatureFile)
	data, err := os.ReadFile(p)
	require.NoError(t, err)
	outside := filepath.Join(t.TempDir(), "sig.json")
	require.NoError(t, os.WriteFile(outside, data, 0o600))
	require.NoError(t, os.Remove(p))
	require.NoError(t, os.Symlink(outside, p))
	v, err := Verify(dir, VerifyOptions{})
	require.NoError(t, err)
	assert.False(t, v.OK())
	assert.Contains(t, v.String(), "signature.json cannot be read: it is a symbolic link")
}

// copyFolder copies a certificate folder (files and subfolders) to a new
// one: writing one costs more than copying it.
func copyFolder(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o700)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), data, 0o600)
	})
	require.NoError(t, err)
	return dst
}
