package certificate

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
)

// SignatureAlgorithm is the only algorithm signature.json uses.
const SignatureAlgorithm = "ed25519"

// Manifest is manifest.json: every file of the certificate with its
// SHA-256 and size. signature.json signs its exact bytes.
type Manifest struct {
	Schema int             `json:"schema"`
	Tool   Tool            `json:"tool"`
	Files  []ManifestEntry `json:"files"`
}

// ManifestEntry is one file of the certificate.
type ManifestEntry struct {
	Path        string `json:"path"` // relative, forward slashes
	SHA256      string `json:"sha256"`
	Size        int64  `json:"size"`
	Description string `json:"description,omitempty"`
}

// Signature is signature.json.
type Signature struct {
	Schema     int    `json:"schema"`
	Algorithm  string `json:"algorithm"`   // "ed25519"
	SignedFile string `json:"signed_file"` // "manifest.json"
	// PublicKey is the raw 32-byte ed25519 public key, base64.
	PublicKey string `json:"public_key"`
	// PublicKeyFingerprint is the SHA-256 (hex) of the 32 raw key bytes.
	PublicKeyFingerprint string `json:"public_key_fingerprint"`
	// Signature is the 64-byte ed25519 signature of manifest.json's
	// exact bytes, base64.
	Signature string `json:"signature"`
}

// Fingerprint is how a public key is named to people: the SHA-256, in
// hex, of its 32 raw bytes. openssl gives the same with
// `openssl pkey -pubin -in pub.pem -outform DER | tail -c 32 | sha256sum`.
func Fingerprint(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return hex.EncodeToString(sum[:])
}

// LoadSignKey reads an ed25519 private key from a PEM file as
// `openssl genpkey -algorithm ed25519 -out key.pem` writes it (PKCS#8,
// "PRIVATE KEY", unencrypted). Other key types and formats are refused
// with what to do instead, and so is a key file that group or others can
// read.
func LoadSignKey(path string) (ed25519.PrivateKey, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("signing key: %w", err)
	}
	if runtime.GOOS != "windows" && info.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("signing key %s: readable by group or others (mode %04o): run chmod 600 %s", path, info.Mode().Perm(), path)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("signing key: %w", err)
	}
	key, err := ParseSignKey(data)
	if err != nil {
		return nil, fmt.Errorf("signing key %s: %w", path, err)
	}
	return key, nil
}

const makeKeyHint = "make one with: openssl genpkey -algorithm ed25519 -out key.pem"

// ParseSignKey parses what LoadSignKey reads.
func ParseSignKey(data []byte) (ed25519.PrivateKey, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, errors.New("not a PEM file; " + makeKeyHint)
	}
	switch block.Type {
	case "PRIVATE KEY":
	case "ENCRYPTED PRIVATE KEY":
		return nil, errors.New("the key is encrypted with a passphrase, which miacct cannot ask for; write it unencrypted (openssl pkey -in key.pem -out plain.pem) and keep the file chmod 600")
	case "RSA PRIVATE KEY", "EC PRIVATE KEY", "DSA PRIVATE KEY", "OPENSSH PRIVATE KEY":
		return nil, fmt.Errorf("a %s: miacct signs with ed25519 keys only; %s", block.Type, makeKeyHint)
	case "PUBLIC KEY":
		return nil, errors.New("this is a public key: signing needs the private key (the file made by openssl genpkey)")
	default:
		return nil, fmt.Errorf("PEM block %q is not a private key; %s", block.Type, makeKeyHint)
	}
	parsed, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("not a PKCS#8 private key (%v); %s", err, makeKeyHint)
	}
	switch k := parsed.(type) {
	case ed25519.PrivateKey:
		return k, nil
	case *rsa.PrivateKey:
		return nil, errors.New("an RSA key: miacct signs with ed25519 keys only; " + makeKeyHint)
	case *ecdsa.PrivateKey:
		return nil, errors.New("an ECDSA key: miacct signs with ed25519 keys only; " + makeKeyHint)
	default:
		return nil, fmt.Errorf("a %T key: miacct signs with ed25519 keys only; %s", parsed, makeKeyHint)
	}
}

// EncodeSignKey writes a private key as PKCS#8 PEM, the form
// LoadSignKey and openssl read.
func EncodeSignKey(key ed25519.PrivateKey) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("encode signing key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// EncodePublicKey writes a public key as PEM ("PUBLIC KEY", PKIX), the
// same bytes as `openssl pkey -in key.pem -pubout`.
func EncodePublicKey(pub ed25519.PublicKey) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("encode public key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), nil
}

// WritePublicKey writes the public half of key to path as PEM (mode
// 0644: it is public), for `verify --key`. Like every file here it is
// written whole or not at all, and a symlink at path is refused.
func WritePublicKey(path string, key ed25519.PrivateKey) error {
	pub, ok := key.Public().(ed25519.PublicKey)
	if !ok || len(key) != ed25519.PrivateKeySize {
		return errors.New("write public key: not an ed25519 private key")
	}
	data, err := EncodePublicKey(pub)
	if err != nil {
		return err
	}
	root, err := openFolder(filepath.Dir(path))
	if err != nil {
		return fmt.Errorf("write public key: %w", err)
	}
	defer root.Close()
	fw := &fileWriter{root: root}
	name := filepath.Base(path)
	if err := fw.put(name, data); err != nil {
		return err
	}
	if err := root.Chmod(name, 0o644); err != nil {
		return fmt.Errorf("write public key: %w", err)
	}
	return fw.syncFolder()
}

// LoadPublicKey reads an ed25519 public key from a PEM file as
// WritePublicKey or `openssl pkey -in key.pem -pubout` write it.
func LoadPublicKey(path string) (ed25519.PublicKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("public key: %w", err)
	}
	pub, err := ParsePublicKey(data)
	if err != nil {
		return nil, fmt.Errorf("public key %s: %w", path, err)
	}
	return pub, nil
}

// ParsePublicKey parses what LoadPublicKey reads.
func ParsePublicKey(data []byte) (ed25519.PublicKey, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, errors.New("not a PEM file (want -----BEGIN PUBLIC KEY-----)")
	}
	if block.Type != "PUBLIC KEY" {
		return nil, fmt.Errorf("PEM block %q: want a PUBLIC KEY (openssl pkey -in key.pem -pubout)", block.Type)
	}
	parsed, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("not a public key: %w", err)
	}
	pub, ok := parsed.(ed25519.PublicKey)
	if !ok {
		return nil, fmt.Errorf("a %T key: want ed25519", parsed)
	}
	return pub, nil
}
