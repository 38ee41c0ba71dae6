package certificate

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// FuzzVerify feeds Verify any manifest.json, signature.json and
// certificate.json next to the files of a real certificate. Verify must
// never fail on what a folder holds (only on a folder it cannot open),
// never panic, and never call a certificate signed by the shop's key OK
// unless that key's signature of the manifest's exact bytes checks out.
func FuzzVerify(f *testing.F) {
	key := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, ed25519.SeedSize))
	pub := key.Public().(ed25519.PublicKey)
	template := f.TempDir()
	if err := Write(template, sampleAudit(f, template), WriteOptions{SignKey: key}); err != nil {
		f.Fatal(err)
	}
	files := map[string][]byte{}
	err := filepath.WalkDir(template, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(template, p)
		data, err := os.ReadFile(p)
		files[filepath.ToSlash(rel)] = data
		return err
	})
	if err != nil {
		f.Fatal(err)
	}
	manifest, signature, cert := files[ManifestFile], files[SignatureFile], files[CertificateFile]
	delete(files, ManifestFile)
	delete(files, SignatureFile)
	delete(files, CertificateFile)

	f.Add(manifest, signature, cert)
	f.Add(manifest, []byte(nil), cert)
	f.Add([]byte(`{"schema":1,"files":[]}`), []byte(`{}`), []byte(`{}`))
	f.Add([]byte(`{"schema":1,"files":[{"path":"../x","sha256":"00","size":-1},{"path":"certificate.json"},{"path":"certificate.json"}]}`), signature, []byte(`{"schema":9}`))
	f.Add(bytes.Replace(manifest, []byte(`"schema": 1`), []byte(`"schema": 2`), 1), signature, cert)
	f.Add([]byte("null"), []byte("null"), []byte("null"))
	f.Add([]byte(`{"schema":1,"files":null}`), []byte(`{"algorithm":"ed25519","signed_file":"manifest.json","public_key":"AAAA","signature":"AAAA"}`), cert)

	f.Fuzz(func(t *testing.T, manifest, signature, cert []byte) {
		dir := t.TempDir()
		for name, data := range files {
			p := filepath.Join(dir, filepath.FromSlash(name))
			if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, data, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		for name, data := range map[string][]byte{ManifestFile: manifest, SignatureFile: signature, CertificateFile: cert} {
			if data == nil {
				continue
			}
			if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
				t.Fatal(err)
			}
		}

		v, err := Verify(dir, VerifyOptions{})
		if err != nil {
			t.Fatalf("Verify failed on a readable folder: %v", err)
		}
		_ = v.String()
		if v.OK() && v.Files < 2 {
			t.Fatalf("OK with %d files listed: certificate.json and certificate.pdf must be", v.Files)
		}

		v, err = Verify(dir, VerifyOptions{PublicKey: pub})
		if err != nil {
			t.Fatalf("Verify with a key failed on a readable folder: %v", err)
		}
		if !v.OK() {
			return
		}
		var s Signature
		if err := json.Unmarshal(signature, &s); err != nil {
			t.Fatalf("OK with the shop's key but signature.json does not parse: %v", err)
		}
		sig, err := base64.StdEncoding.DecodeString(s.Signature)
		if err != nil || !ed25519.Verify(pub, manifest, sig) {
			t.Fatalf("OK with the shop's key, but its signature of manifest.json does not check out")
		}
		if !v.Signed || !v.KeyMatches {
			t.Fatalf("OK with the shop's key but Signed=%v KeyMatches=%v", v.Signed, v.KeyMatches)
		}
	})
}
