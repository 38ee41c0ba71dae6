package certificate

import (
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestWriteFiles: the files, their modes, the folder's mode, the
// manifest's content.
func TestWriteFiles(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "reports", "6d8f2a41")
	c := sampleRemove(t, dir)
	require.NoError(t, Write(dir, c, WriteOptions{SignKey: newKey(t)}))

	info, err := os.Stat(dir)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o700), info.Mode().Perm())
	for _, name := range []string{CertificateFile, PDFFile, ManifestFile, SignatureFile} {
		info, err := os.Lstat(filepath.Join(dir, name))
		require.NoError(t, err, name)
		assert.Equal(t, os.FileMode(0o600), info.Mode().Perm(), name)
	}
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	for _, e := range entries {
		assert.False(t, strings.HasPrefix(e.Name(), tempPrefix), "left %s", e.Name())
	}

	var m Manifest
	readJSON(t, filepath.Join(dir, ManifestFile), &m)
	require.Len(t, m.Files, len(c.Evidence)+2)
	assert.Equal(t, CertificateFile, m.Files[0].Path)
	assert.Equal(t, PDFFile, m.Files[1].Path)
	for i, e := range c.Evidence {
		assert.Equal(t, ManifestEntry{Path: e.Path, SHA256: e.SHA256, Size: e.Size, Description: e.Description}, m.Files[i+2])
		sum, size, err := hashFileAt(filepath.Join(dir, e.Path))
		require.NoError(t, err)
		assert.Equal(t, sum, e.SHA256)
		assert.Equal(t, size, e.Size)
	}
}

// TestWriteCreatesFolder: a missing folder is created with mode 0700.
func TestWriteCreatesFolder(t *testing.T) {
	base := t.TempDir()
	dir := filepath.Join(base, "new", "phone")
	c := sampleRemove(t, t.TempDir())
	c.Evidence = nil
	require.NoError(t, Write(dir, c, WriteOptions{}))
	for _, d := range []string{filepath.Join(base, "new"), dir} {
		info, err := os.Stat(d)
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o700), info.Mode().Perm(), d)
	}
	v, err := Verify(dir, VerifyOptions{})
	require.NoError(t, err)
	assert.True(t, v.OK(), v.String())
}

// TestWriteRefusesPlantedSymlink: a symlink at certificate.json's (or
// another certificate file's) path is refused and what it points to is
// left as it was.
func TestWriteRefusesPlantedSymlink(t *testing.T) {
	for _, name := range []string{CertificateFile, PDFFile, ManifestFile, SignatureFile} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			c := sampleRemove(t, dir)
			target := filepath.Join(t.TempDir(), "precious")
			require.NoError(t, os.WriteFile(target, []byte("precious"), 0o644))
			link := filepath.Join(dir, name)
			require.NoError(t, os.Symlink(target, link))

			err := Write(dir, c, WriteOptions{})
			require.Error(t, err)
			assert.Contains(t, err.Error(), "refusing to write "+name+": it exists as a symbolic link")
			data, err := os.ReadFile(target)
			require.NoError(t, err)
			assert.Equal(t, "precious", string(data))
			info, err := os.Lstat(link)
			require.NoError(t, err)
			assert.NotZero(t, info.Mode()&os.ModeSymlink, "the link is left as it was")
			for _, own := range []string{CertificateFile, PDFFile, ManifestFile, SignatureFile} {
				if own != name {
					assert.NoFileExists(t, filepath.Join(dir, own))
				}
			}
			assertNoTempFiles(t, dir)
		})
	}
}

// TestWriteRefusesSymlinkedEvidence: evidence that is a symlink (or
// sits in a symlinked folder) is not hashed: the manifest would vouch
// for a file outside the folder.
func TestWriteRefusesSymlinkedEvidence(t *testing.T) {
	dir := t.TempDir()
	c := sampleAudit(t, dir)
	outside := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(outside, "settings.png"), []byte("x"), 0o600))
	require.NoError(t, os.RemoveAll(filepath.Join(dir, "screens")))
	require.NoError(t, os.Symlink(outside, filepath.Join(dir, "screens")))
	err := Write(dir, c, WriteOptions{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "screens is a symbolic link")

	dir = t.TempDir()
	c = sampleRemove(t, dir)
	require.NoError(t, os.Remove(filepath.Join(dir, "log.txt")))
	require.NoError(t, os.Symlink("/etc/hostname", filepath.Join(dir, "log.txt")))
	err = Write(dir, c, WriteOptions{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "evidence log.txt: it is a symbolic link")
}

// failingWriter fails like a full disk after n bytes.
type failingWriter struct {
	w io.Writer
	n int
}

func (f *failingWriter) Write(p []byte) (int, error) {
	if len(p) > f.n {
		n, _ := f.w.Write(p[:f.n])
		f.n = 0
		return n, syscall.ENOSPC
	}
	f.n -= len(p)
	return f.w.Write(p)
}

// TestWriteFailureLeavesNoHalfCertificate: a disk that fills up while any
// file is written gives an error, no temporary file, and no certificate
// file at all, even where a valid certificate stood before.
func TestWriteFailureLeavesNoHalfCertificate(t *testing.T) {
	key := newKey(t)
	for _, name := range []string{CertificateFile, PDFFile, ManifestFile, SignatureFile} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			require.NoError(t, Write(dir, sampleRemove(t, dir), WriteOptions{SignKey: key}), "a valid certificate first")
			c := sampleRemove(t, dir)
			c.Operator = "someone else"
			err := Write(dir, c, WriteOptions{SignKey: key, wrapWriter: func(file string, w io.Writer) io.Writer {
				if file == name {
					return &failingWriter{w: w, n: 100}
				}
				return w
			}})
			require.Error(t, err)
			assert.ErrorIs(t, err, syscall.ENOSPC)
			assert.Contains(t, err.Error(), "write "+name)
			for _, own := range []string{CertificateFile, PDFFile, ManifestFile, SignatureFile} {
				assert.NoFileExists(t, filepath.Join(dir, own))
			}
			assertNoTempFiles(t, dir)
			v, err := Verify(dir, VerifyOptions{})
			require.NoError(t, err)
			assert.False(t, v.OK())
			assert.Contains(t, v.String(), "manifest.json is missing")
		})
	}
}

// TestWriteFolderIsAFile: a folder that cannot be made is an error.
func TestWriteFolderIsAFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	require.NoError(t, os.WriteFile(file, nil, 0o600))
	c := sampleRemove(t, t.TempDir())
	c.Evidence = nil
	err := Write(filepath.Join(file, "dir"), c, WriteOptions{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "create folder")
}

// TestWriteReadOnlyFolder: where permissions apply (not as root), a
// folder the process cannot write to is an error and nothing is left.
func TestWriteReadOnlyFolder(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root writes to read-only folders; TestWriteFailureLeavesNoHalfCertificate covers the failure")
	}
	dir := t.TempDir()
	c := sampleRemove(t, dir)
	require.NoError(t, os.Chmod(dir, 0o500))
	t.Cleanup(func() { _ = os.Chmod(dir, 0o700) })
	err := Write(dir, c, WriteOptions{})
	require.Error(t, err)
	assert.ErrorIs(t, err, os.ErrPermission)
	assert.NoFileExists(t, filepath.Join(dir, CertificateFile))
}

func TestWriteBadKey(t *testing.T) {
	dir := t.TempDir()
	err := Write(dir, sampleRemove(t, dir), WriteOptions{SignKey: ed25519.PrivateKey{1, 2, 3}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "signing key has 3 bytes")
}

// TestWritePublicKeyRefusesSymlink: the public key file follows the same
// rules.
func TestWritePublicKeyRefusesSymlink(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(t.TempDir(), "t")
	require.NoError(t, os.WriteFile(target, []byte("t"), 0o600))
	require.NoError(t, os.Symlink(target, filepath.Join(dir, "pub.pem")))
	err := WritePublicKey(filepath.Join(dir, "pub.pem"), newKey(t))
	require.Error(t, err)
	data, _ := os.ReadFile(target)
	assert.Equal(t, "t", string(data))
}

func assertNoTempFiles(t *testing.T, dir string) {
	t.Helper()
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if strings.HasPrefix(d.Name(), tempPrefix) {
			t.Errorf("temporary file left: %s", p)
		}
		return nil
	})
	require.NoError(t, err)
}

func hashFileAt(p string) (string, int64, error) {
	root, err := os.OpenRoot(filepath.Dir(p))
	if err != nil {
		return "", 0, err
	}
	defer root.Close()
	return hashFile(root, filepath.Base(p))
}

// evidence200KB writes n evidence files of 200 KB, as screenshots are.
func evidence200KB(b testing.TB, dir string, n int) []Evidence {
	data := make([]byte, 200<<10)
	for i := range data {
		data[i] = byte(i * 7)
	}
	var out []Evidence
	for i := range n {
		name := filepath.Join(dir, fmt.Sprintf("shot-%02d.png", i))
		if err := os.WriteFile(name, data, 0o600); err != nil {
			b.Fatal(err)
		}
		out = append(out, Evidence{Path: filepath.Base(name), Description: "screenshot"})
	}
	return out
}

// BenchmarkWrite20x200KB: a certificate with 20 screenshots of 200 KB,
// signed (hashing, JSON, PDF, manifest, signature, fsyncs).
func BenchmarkWrite20x200KB(b *testing.B) {
	dir := b.TempDir()
	c := sampleRemove(b, b.TempDir()) // its small evidence elsewhere
	c.Evidence = evidence200KB(b, dir, 20)
	_, key, _ := ed25519.GenerateKey(nil)
	for b.Loop() {
		if err := Write(dir, c, WriteOptions{SignKey: key}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerify20x200KB checks what BenchmarkWrite20x200KB writes.
func BenchmarkVerify20x200KB(b *testing.B) {
	dir := b.TempDir()
	c := sampleRemove(b, b.TempDir()) // its small evidence elsewhere
	c.Evidence = evidence200KB(b, dir, 20)
	_, key, _ := ed25519.GenerateKey(nil)
	if err := Write(dir, c, WriteOptions{SignKey: key}); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		v, err := Verify(dir, VerifyOptions{})
		if err != nil || !v.OK() {
			b.Fatal(err, v)
		}
	}
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(data, v))
}
