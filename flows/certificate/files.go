package certificate

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
)

// Names of the files a certificate is made of.
const (
	CertificateFile = "certificate.json"
	PDFFile         = "certificate.pdf"
	ManifestFile    = "manifest.json"
	SignatureFile   = "signature.json"
	SummaryCSVFile  = "summary.csv"
	SummaryHTMLFile = "summary.html"
)

// tempPrefix starts the name of a file being written; it is renamed to
// its real name once complete and synced, or removed.
const tempPrefix = ".miacct-tmp-"

// openFolder opens dir for writing, creating it (mode 0700) when it does
// not exist. Every file is then opened through the returned root, so no
// path can lead out of dir.
func openFolder(dir string) (*os.Root, error) {
	if dir == "" {
		return nil, errors.New("no folder given")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create folder: %w", err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("open folder: %w", err)
	}
	return root, nil
}

// fileWriter writes the files of one certificate into a folder, each
// whole or not at all: into a temporary file created with O_EXCL (which
// never follows a symlink), synced, then renamed over its name. A name
// that exists as anything but a regular file (a planted symlink, a
// folder) is refused, and what it points to is never touched.
type fileWriter struct {
	root *os.Root
	// wrap, when set, wraps the writer of each file (tests inject
	// write errors through it).
	wrap func(name string, w io.Writer) io.Writer
	// written are the names put in place so far, for rollback.
	written []string
}

// put writes data to name (a name in the folder, no subfolder) with mode
// 0600.
func (fw *fileWriter) put(name string, data []byte) error {
	if err := refuseNonRegular(fw.root, name); err != nil {
		return err
	}
	var suffix [8]byte
	if _, err := rand.Read(suffix[:]); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	tmp := tempPrefix + hex.EncodeToString(suffix[:]) + "-" + name
	f, err := fw.root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	var w io.Writer = f
	if fw.wrap != nil {
		w = fw.wrap(name, f)
	}
	_, err = w.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		// Checked again right before the rename: rename never follows a
		// symlink at the target, it would replace the link itself, but a
		// planted link is a sign of foul play worth stopping for.
		err = refuseNonRegular(fw.root, name)
	}
	if err == nil {
		err = fw.root.Rename(tmp, name)
	}
	if err != nil {
		_ = fw.root.Remove(tmp)
		return fmt.Errorf("write %s: %w", name, err)
	}
	fw.written = append(fw.written, name)
	return nil
}

// syncFolder makes the renames durable.
func (fw *fileWriter) syncFolder() error {
	d, err := fw.root.Open(".")
	if err != nil {
		return fmt.Errorf("sync folder: %w", err)
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("sync folder: %w", err)
	}
	return nil
}

// rollback removes the files put in place by this writer, so a failed
// write leaves no certificate that could pass for complete.
func (fw *fileWriter) rollback() {
	for _, name := range fw.written {
		_ = fw.root.Remove(name)
	}
	fw.written = nil
}

// removeOwn removes a file of ours left by an earlier write (say a
// signature.json that would no longer match); anything but a regular
// file is refused.
func removeOwn(root *os.Root, name string) error {
	if err := refuseNonRegular(root, name); err != nil {
		return err
	}
	err := root.Remove(name)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove old %s: %w", name, err)
	}
	return nil
}

// refuseNonRegular returns an error when name exists as something other
// than a regular file.
func refuseNonRegular(root *os.Root, name string) error {
	info, err := root.Lstat(name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	if !info.Mode().IsRegular() {
		return fmt.Errorf("refusing to write %s: it exists as %s, not a regular file (left untouched)", name, kindOf(info.Mode()))
	}
	return nil
}

func kindOf(m fs.FileMode) string {
	switch {
	case m&fs.ModeSymlink != 0:
		return "a symbolic link"
	case m.IsDir():
		return "a folder"
	default:
		return "a special file"
	}
}

// errNotRegular marks a path that is a symlink, folder or device where a
// regular file was expected.
var errNotRegular = errors.New("not a regular file")

// openRegular opens a file of the folder for reading without following
// a symlink anywhere in its path: every folder on the way and the file
// itself must be what they claim, and the file opened must be the one
// checked.
func openRegular(root *os.Root, name string) (*os.File, fs.FileInfo, error) {
	parts := strings.Split(name, "/")
	for i := 1; i < len(parts); i++ {
		dir := path.Join(parts[:i]...)
		info, err := root.Lstat(dir)
		if err != nil {
			return nil, nil, err
		}
		if !info.IsDir() {
			return nil, nil, fmt.Errorf("%s is %s: %w", dir, kindOf(info.Mode()), errNotRegular)
		}
	}
	before, err := root.Lstat(name)
	if err != nil {
		return nil, nil, err
	}
	if !before.Mode().IsRegular() {
		return nil, nil, fmt.Errorf("it is %s: %w", kindOf(before.Mode()), errNotRegular)
	}
	f, err := root.OpenFile(name, os.O_RDONLY, 0)
	if err != nil {
		return nil, nil, err
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	if !os.SameFile(before, info) {
		f.Close()
		return nil, nil, fmt.Errorf("it was replaced while being opened: %w", errNotRegular)
	}
	return f, info, nil
}

// hashFile returns the SHA-256 (hex) and size of a file of the folder.
func hashFile(root *os.Root, name string) (sum string, size int64, err error) {
	f, _, err := openRegular(root, name)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	size, err = io.Copy(h, f)
	if err != nil {
		return "", 0, err
	}
	return hex.EncodeToString(h.Sum(nil)), size, nil
}

func sha256Hex(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}
