package certificate

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"os"
)

// WriteOptions tune Write.
type WriteOptions struct {
	// SignKey, when set, signs manifest.json into signature.json.
	SignKey ed25519.PrivateKey

	// wrapWriter wraps the writer of each file written (tests inject
	// write failures through it).
	wrapWriter func(name string, w io.Writer) io.Writer
}

// Write writes the certificate of c into dir, next to the evidence files
// the caller has already written there: it hashes every evidence file
// (filling Evidence[i].SHA256 and Size, and the verdict when c leaves it
// empty), then writes certificate.json, certificate.pdf, manifest.json
// and, with opts.SignKey, signature.json.
//
// dir is created (mode 0700) when missing; files are written with mode
// 0600, each whole (temporary file, fsync, rename) or not at all, and a
// name that exists as a symlink is refused without touching its target.
// On any error the certificate files this call put in place are removed:
// the folder never holds a certificate that looks valid but is not.
func Write(dir string, c *Certificate, opts WriteOptions) error {
	if err := prepare(c); err != nil {
		return fmt.Errorf("certificate: %w", err)
	}
	if opts.SignKey != nil && len(opts.SignKey) != ed25519.PrivateKeySize {
		return fmt.Errorf("certificate: signing key has %d bytes, want an ed25519 private key", len(opts.SignKey))
	}
	root, err := openFolder(dir)
	if err != nil {
		return fmt.Errorf("certificate %s: %w", dir, err)
	}
	defer root.Close()
	if err := write(root, c, opts); err != nil {
		return fmt.Errorf("certificate %s: %w", dir, err)
	}
	return nil
}

func write(root *os.Root, c *Certificate, opts WriteOptions) (err error) {
	for i := range c.Evidence {
		e := &c.Evidence[i]
		e.SHA256, e.Size, err = hashFile(root, e.Path)
		if err != nil {
			return fmt.Errorf("evidence %s: %w", e.Path, err)
		}
	}

	fw := &fileWriter{root: root, wrap: opts.wrapWriter}
	defer func() {
		if err != nil {
			fw.rollback()
		}
	}()
	// The files of an earlier certificate in this folder go first: a
	// failure from here on leaves no certificate at all, rather than an
	// old PDF someone could print, and until the new manifest is in
	// place the folder is not a certificate.
	// A planted symlink (or folder) at any of these names stops the
	// write before anything is touched.
	own := []string{ManifestFile, SignatureFile, CertificateFile, PDFFile}
	for _, name := range own {
		if err := refuseNonRegular(root, name); err != nil {
			return err
		}
	}
	for _, name := range own {
		if err := removeOwn(root, name); err != nil {
			return err
		}
	}

	certJSON, err := encodeJSON(c)
	if err != nil {
		return fmt.Errorf("encode %s: %w", CertificateFile, err)
	}
	if err := fw.put(CertificateFile, certJSON); err != nil {
		return err
	}

	var keyFingerprint string
	if opts.SignKey != nil {
		keyFingerprint = Fingerprint(opts.SignKey.Public().(ed25519.PublicKey))
	}
	pdf, err := renderPDF(c, pdfExtras{certSHA256: sha256Hex(certJSON), keyFingerprint: keyFingerprint})
	if err != nil {
		return fmt.Errorf("render %s: %w", PDFFile, err)
	}
	if err := fw.put(PDFFile, pdf); err != nil {
		return err
	}

	m := Manifest{Schema: SchemaVersion, Tool: c.Tool, Files: []ManifestEntry{
		{Path: CertificateFile, SHA256: sha256Hex(certJSON), Size: int64(len(certJSON)), Description: "the certificate (JSON)"},
		{Path: PDFFile, SHA256: sha256Hex(pdf), Size: int64(len(pdf)), Description: "the certificate to print"},
	}}
	for _, e := range c.Evidence {
		m.Files = append(m.Files, ManifestEntry{Path: e.Path, SHA256: e.SHA256, Size: e.Size, Description: e.Description})
	}
	manifest, err := encodeJSON(m)
	if err != nil {
		return fmt.Errorf("encode %s: %w", ManifestFile, err)
	}
	if err := fw.put(ManifestFile, manifest); err != nil {
		return err
	}

	if opts.SignKey != nil {
		sig, err := encodeJSON(sign(opts.SignKey, manifest))
		if err != nil {
			return fmt.Errorf("encode %s: %w", SignatureFile, err)
		}
		if err := fw.put(SignatureFile, sig); err != nil {
			return err
		}
	}
	return fw.syncFolder()
}

// sign signs the exact bytes of manifest.json.
func sign(key ed25519.PrivateKey, manifest []byte) Signature {
	pub := key.Public().(ed25519.PublicKey)
	return Signature{
		Schema:               SchemaVersion,
		Algorithm:            SignatureAlgorithm,
		SignedFile:           ManifestFile,
		PublicKey:            base64.StdEncoding.EncodeToString(pub),
		PublicKeyFingerprint: Fingerprint(pub),
		Signature:            base64.StdEncoding.EncodeToString(ed25519.Sign(key, manifest)),
	}
}

// encodeJSON is how every JSON file is written: indented for people, no
// HTML escaping (a "<" in a message stays "<"), one final newline.
func encodeJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Marshal returns certificate.json as Write would write it, after the
// same checks (the evidence hashes are not computed: they are carried as
// they are in c).
func Marshal(c *Certificate) ([]byte, error) {
	if err := prepare(c); err != nil {
		return nil, fmt.Errorf("certificate: %w", err)
	}
	return encodeJSON(c)
}
