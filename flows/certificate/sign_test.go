package certificate

import (
	"crypto/ed25519"
	"crypto/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func newKey(t testing.TB) ed25519.PrivateKey {
	t.Helper()
	_, key, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	return key
}

func needOpenSSL(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Skip("openssl missing")
	}
}

func openssl(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command("openssl", args...).CombinedOutput()
	require.NoError(t, err, "openssl %s: %s", strings.Join(args, " "), out)
	return string(out)
}

// TestSignWithOpenSSLKey: a key made by openssl genpkey signs, its
// public half from openssl pkey -pubout verifies, and the fingerprint
// openssl gives (its last 32 DER bytes hashed) is the one reported.
func TestSignWithOpenSSLKey(t *testing.T) {
	needOpenSSL(t)
	keys := t.TempDir()
	keyPath := filepath.Join(keys, "key.pem")
	openssl(t, "genpkey", "-algorithm", "ed25519", "-out", keyPath)
	require.NoError(t, os.Chmod(keyPath, 0o600))
	pubPath := filepath.Join(keys, "pub.pem")
	openssl(t, "pkey", "-in", keyPath, "-pubout", "-out", pubPath)

	key, err := LoadSignKey(keyPath)
	require.NoError(t, err)
	pub, err := LoadPublicKey(pubPath)
	require.NoError(t, err)
	assert.Equal(t, key.Public(), pub)

	// Ours writes the same public key file as openssl.
	ourPub := filepath.Join(keys, "ours.pem")
	require.NoError(t, WritePublicKey(ourPub, key))
	a, _ := os.ReadFile(pubPath)
	b, _ := os.ReadFile(ourPub)
	assert.Equal(t, string(a), string(b))

	dir := t.TempDir()
	require.NoError(t, Write(dir, sampleRemove(t, dir), WriteOptions{SignKey: key}))
	v, err := Verify(dir, VerifyOptions{PublicKey: pub})
	require.NoError(t, err)
	assert.True(t, v.OK(), v.String())
	assert.True(t, v.Signed)
	assert.True(t, v.KeyMatches)

	// openssl itself accepts the signature of manifest.json.
	sigPath := filepath.Join(keys, "manifest.sig")
	s := readSignature(t, dir)
	require.NoError(t, os.WriteFile(sigPath, s, 0o600))
	out := openssl(t, "pkeyutl", "-verify", "-pubin", "-inkey", pubPath, "-rawin", "-in", filepath.Join(dir, ManifestFile), "-sigfile", sigPath)
	assert.Contains(t, out, "Signature Verified Successfully")

	// The documented fingerprint command.
	der, err := exec.Command("openssl", "pkey", "-pubin", "-in", pubPath, "-outform", "DER").Output()
	require.NoError(t, err)
	assert.Equal(t, v.KeyFingerprint, sha256Hex(der[len(der)-32:]))
}

// TestOpenSSLReadsOurKey: a key generated in Go and saved with
// EncodeSignKey is one openssl reads, and LoadSignKey reads it back.
func TestOpenSSLReadsOurKey(t *testing.T) {
	key := newKey(t)
	pemBytes, err := EncodeSignKey(key)
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "key.pem")
	require.NoError(t, os.WriteFile(path, pemBytes, 0o600))
	back, err := LoadSignKey(path)
	require.NoError(t, err)
	assert.Equal(t, key, back)

	needOpenSSL(t)
	pubOut := openssl(t, "pkey", "-in", path, "-pubout")
	want, err := EncodePublicKey(key.Public().(ed25519.PublicKey))
	require.NoError(t, err)
	assert.Equal(t, string(want), pubOut)
}

// TestSignRoundTripGoKey signs with a key generated in Go and verifies
// with and without the key given.
func TestSignRoundTripGoKey(t *testing.T) {
	key := newKey(t)
	dir := t.TempDir()
	require.NoError(t, Write(dir, sampleAudit(t, dir), WriteOptions{SignKey: key}))

	v, err := Verify(dir, VerifyOptions{})
	require.NoError(t, err)
	assert.True(t, v.OK(), v.String())
	assert.True(t, v.Signed)
	assert.False(t, v.KeyMatches)
	assert.Equal(t, Fingerprint(key.Public().(ed25519.PublicKey)), v.KeyFingerprint)
	assert.Contains(t, v.String(), "compare it with your shop's key")

	v, err = Verify(dir, VerifyOptions{PublicKey: key.Public().(ed25519.PublicKey)})
	require.NoError(t, err)
	assert.True(t, v.OK(), v.String())
	assert.True(t, v.KeyMatches)

	// Unsigned again: the old signature.json goes.
	c := sampleAudit(t, dir)
	require.NoError(t, Write(dir, c, WriteOptions{}))
	assert.NoFileExists(t, filepath.Join(dir, SignatureFile))
	v, err = Verify(dir, VerifyOptions{})
	require.NoError(t, err)
	assert.True(t, v.OK(), v.String())
	assert.False(t, v.Signed)
}

// TestLoadSignKeyRefuses other key types and formats, each with what
// to do.
func TestLoadSignKeyRefuses(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(content), mode))
		return p
	}
	goodPEM, err := EncodeSignKey(newKey(t))
	require.NoError(t, err)
	pubPEM, err := EncodePublicKey(newKey(t).Public().(ed25519.PublicKey))
	require.NoError(t, err)
	cases := map[string]struct {
		path string
		want string
	}{
		"not pem":        {write("junk.pem", "hello", 0o600), "not a PEM file"},
		"public key":     {write("pub.pem", string(pubPEM), 0o600), "this is a public key"},
		"openssh":        {write("id", "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n", 0o600), "ed25519 keys only"},
		"world readable": {write("open.pem", string(goodPEM), 0o644), "chmod 600"},
		"missing":        {filepath.Join(dir, "nope.pem"), "no such file"},
	}
	if _, err := exec.LookPath("openssl"); err == nil {
		for name, args := range map[string][]string{
			"rsa":       {"genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024"},
			"ec":        {"genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"},
			"x25519":    {"genpkey", "-algorithm", "X25519"},
			"encrypted": {"genpkey", "-algorithm", "ed25519", "-aes256", "-pass", "pass:secret"},
		} {
			p := filepath.Join(dir, name+".pem")
			out, err := exec.Command("openssl", append(args, "-out", p)...).CombinedOutput()
			require.NoError(t, err, "%s", out)
			require.NoError(t, os.Chmod(p, 0o600))
			want := "ed25519 keys only"
			if name == "encrypted" {
				want = "encrypted with a passphrase"
			}
			cases[name] = struct{ path, want string }{p, want}
		}
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := LoadSignKey(tc.path)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestLoadPublicKeyRefuses(t *testing.T) {
	dir := t.TempDir()
	priv, err := EncodeSignKey(newKey(t))
	require.NoError(t, err)
	p := filepath.Join(dir, "key.pem")
	require.NoError(t, os.WriteFile(p, priv, 0o600))
	_, err = LoadPublicKey(p)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "want a PUBLIC KEY")
}
