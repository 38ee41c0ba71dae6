package fake

import (
	"bytes"
	"io/fs"
	"path"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"
)

// MemFS is an in-memory FileSystem for a simulated phone's storage
// (/sdcard, /data/local/tmp, ...). Directories exist when created with
// MkdirAll or implied by a file below them. Safe for concurrent use; errors
// are *fs.PathError wrapping syscall errnos (ENOENT, EISDIR, ENOTDIR,
// ENOTEMPTY), so callers can test them with errors.Is. The zero value is
// an empty file system.
type MemFS struct {
	mu    sync.RWMutex
	files map[string]memFile
	dirs  map[string]memDir // created explicitly; implied ones are not here
}

type memFile struct {
	data  []byte
	mode  fs.FileMode
	mtime time.Time
}

type memDir struct {
	mode  fs.FileMode
	mtime time.Time
}

// NewMemFS returns an empty file system holding only "/".
func NewMemFS() *MemFS {
	return &MemFS{files: make(map[string]memFile), dirs: make(map[string]memDir)}
}

// cleanPath makes p absolute and clean: device paths are absolute, a
// relative one is taken from "/" (adbd's working directory).
func cleanPath(p string) string { return path.Join("/", p) }

// Stat describes the file or directory at p.
func (m *MemFS) Stat(p string) (fs.FileInfo, error) {
	p = cleanPath(p)
	m.mu.RLock()
	defer m.mu.RUnlock()
	if f, ok := m.files[p]; ok {
		return memInfo{name: path.Base(p), size: int64(len(f.data)), mode: f.mode, mtime: f.mtime}, nil
	}
	if d, ok := m.dirLocked(p); ok {
		return memInfo{name: path.Base(p), mode: fs.ModeDir | d.mode, mtime: d.mtime}, nil
	}
	return nil, &fs.PathError{Op: "stat", Path: p, Err: m.missingErrLocked(p)}
}

// ReadFile returns a copy of the file's contents.
func (m *MemFS) ReadFile(p string) ([]byte, error) {
	p = cleanPath(p)
	m.mu.RLock()
	defer m.mu.RUnlock()
	if f, ok := m.files[p]; ok {
		return bytes.Clone(f.data), nil
	}
	if _, ok := m.dirLocked(p); ok {
		return nil, &fs.PathError{Op: "read", Path: p, Err: syscall.EISDIR}
	}
	return nil, &fs.PathError{Op: "open", Path: p, Err: m.missingErrLocked(p)}
}

// WriteFile creates or replaces the file at p with a copy of data,
// creating missing parent directories.
func (m *MemFS) WriteFile(p string, data []byte, mode fs.FileMode, mtime time.Time) error {
	p = cleanPath(p)
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.dirLocked(p); ok {
		return &fs.PathError{Op: "open", Path: p, Err: syscall.EISDIR}
	}
	if err := m.checkParentsLocked(p); err != nil {
		return &fs.PathError{Op: "open", Path: p, Err: err}
	}
	if m.files == nil {
		m.files = make(map[string]memFile)
	}
	m.files[p] = memFile{data: bytes.Clone(data), mode: mode.Perm(), mtime: mtime}
	return nil
}

// ReadDir lists the directory at p, sorted by name.
func (m *MemFS) ReadDir(p string) ([]fs.FileInfo, error) {
	p = cleanPath(p)
	m.mu.RLock()
	defer m.mu.RUnlock()
	if _, ok := m.files[p]; ok {
		return nil, &fs.PathError{Op: "readdir", Path: p, Err: syscall.ENOTDIR}
	}
	if _, ok := m.dirLocked(p); !ok {
		return nil, &fs.PathError{Op: "readdir", Path: p, Err: m.missingErrLocked(p)}
	}
	names := make(map[string]bool)
	for fp := range m.files {
		if name, ok := childName(p, fp); ok {
			first, _, _ := strings.Cut(name, "/")
			names[first] = true
		}
	}
	for dp := range m.dirs {
		if name, ok := childName(p, dp); ok {
			first, _, _ := strings.Cut(name, "/")
			names[first] = true
		}
	}
	children := make([]fs.FileInfo, 0, len(names))
	for name := range names {
		cp := path.Join(p, name)
		if f, ok := m.files[cp]; ok {
			children = append(children, memInfo{name: name, size: int64(len(f.data)), mode: f.mode, mtime: f.mtime})
			continue
		}
		d, _ := m.dirLocked(cp)
		children = append(children, memInfo{name: name, mode: fs.ModeDir | d.mode, mtime: d.mtime})
	}
	slices.SortFunc(children, func(a, b fs.FileInfo) int { return strings.Compare(a.Name(), b.Name()) })
	return children, nil
}

// MkdirAll creates the directory p and its missing parents.
func (m *MemFS) MkdirAll(p string, mode fs.FileMode) error {
	p = cleanPath(p)
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.files[p]; ok {
		return &fs.PathError{Op: "mkdir", Path: p, Err: syscall.ENOTDIR}
	}
	if err := m.checkParentsLocked(p); err != nil {
		return &fs.PathError{Op: "mkdir", Path: p, Err: err}
	}
	if m.dirs == nil {
		m.dirs = make(map[string]memDir)
	}
	// Like os.MkdirAll, existing directories (implied ones too) keep
	// their mode; only missing ones are created.
	var missing []string
	for d := p; d != "/"; d = path.Dir(d) {
		if _, ok := m.dirLocked(d); ok {
			break
		}
		missing = append(missing, d)
	}
	for _, d := range missing {
		m.dirs[d] = memDir{mode: mode.Perm()}
	}
	return nil
}

// Mkdir creates the directory p, whose parent must exist, and fails with
// EEXIST when anything is at p already: checked and created in one step,
// as mkdir(2) does, so of two callers exactly one succeeds (what a lock
// made with mkdir relies on).
func (m *MemFS) Mkdir(p string, mode fs.FileMode) error {
	p = cleanPath(p)
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.files[p]; ok {
		return &fs.PathError{Op: "mkdir", Path: p, Err: syscall.EEXIST}
	}
	if _, ok := m.dirLocked(p); ok {
		return &fs.PathError{Op: "mkdir", Path: p, Err: syscall.EEXIST}
	}
	if _, ok := m.dirLocked(path.Dir(p)); !ok {
		return &fs.PathError{Op: "mkdir", Path: p, Err: m.missingErrLocked(path.Dir(p))}
	}
	if m.dirs == nil {
		m.dirs = make(map[string]memDir)
	}
	m.dirs[p] = memDir{mode: mode.Perm()}
	return nil
}

// Remove deletes the file or empty directory at p.
func (m *MemFS) Remove(p string) error {
	p = cleanPath(p)
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.files[p]; ok {
		delete(m.files, p)
		return nil
	}
	if _, ok := m.dirLocked(p); !ok {
		return &fs.PathError{Op: "remove", Path: p, Err: m.missingErrLocked(p)}
	}
	if p == "/" || m.hasChildrenLocked(p) {
		return &fs.PathError{Op: "remove", Path: p, Err: syscall.ENOTEMPTY}
	}
	delete(m.dirs, p)
	return nil
}

// RemoveAll deletes p and everything below it; a missing p is no error.
func (m *MemFS) RemoveAll(p string) error {
	p = cleanPath(p)
	m.mu.Lock()
	defer m.mu.Unlock()
	for fp := range m.files {
		if fp == p || isBelow(p, fp) {
			delete(m.files, fp)
		}
	}
	for dp := range m.dirs {
		if dp == p || isBelow(p, dp) {
			delete(m.dirs, dp)
		}
	}
	return nil
}

// dirLocked reports whether p is a directory: the root, an explicit one,
// or the parent of some file or directory.
func (m *MemFS) dirLocked(p string) (memDir, bool) {
	if d, ok := m.dirs[p]; ok {
		return d, true
	}
	if p == "/" || m.hasChildrenLocked(p) {
		return memDir{mode: 0o755}, true
	}
	return memDir{}, false
}

func (m *MemFS) hasChildrenLocked(p string) bool {
	for fp := range m.files {
		if isBelow(p, fp) {
			return true
		}
	}
	for dp := range m.dirs {
		if isBelow(p, dp) {
			return true
		}
	}
	return false
}

// checkParentsLocked fails with ENOTDIR when a parent of p is a file.
func (m *MemFS) checkParentsLocked(p string) error {
	for d := path.Dir(p); d != "/"; d = path.Dir(d) {
		if _, ok := m.files[d]; ok {
			return syscall.ENOTDIR
		}
	}
	return nil
}

// missingErrLocked is ENOTDIR when a parent of p is a file, else ENOENT.
func (m *MemFS) missingErrLocked(p string) error {
	if err := m.checkParentsLocked(p); err != nil {
		return err
	}
	return syscall.ENOENT
}

// isBelow reports whether p lies strictly inside directory dir.
func isBelow(dir, p string) bool {
	if dir == "/" {
		return p != "/"
	}
	return strings.HasPrefix(p, dir+"/")
}

// childName is p relative to dir when p lies inside dir.
func childName(dir, p string) (string, bool) {
	if !isBelow(dir, p) {
		return "", false
	}
	if dir == "/" {
		return p[1:], true
	}
	return p[len(dir)+1:], true
}

// memInfo is the fs.FileInfo of a MemFS entry.
type memInfo struct {
	name  string
	size  int64
	mode  fs.FileMode
	mtime time.Time
}

func (fi memInfo) Name() string       { return fi.name }
func (fi memInfo) Size() int64        { return fi.size }
func (fi memInfo) Mode() fs.FileMode  { return fi.mode }
func (fi memInfo) ModTime() time.Time { return fi.mtime }
func (fi memInfo) IsDir() bool        { return fi.mode.IsDir() }
func (fi memInfo) Sys() any           { return nil }
