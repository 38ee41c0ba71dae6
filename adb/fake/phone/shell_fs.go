package phone

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/miacct/miacct/adb/fake"
	"mvdan.cc/sh/v3/interp"
)

// The shell's file handlers and file commands, all on the phone's MemFS.

// readOnlyRoots are the partitions mounted read-only on a phone.
var readOnlyRoots = []string{"/system", "/vendor", "/product", "/odm", "/apex", "/system_ext", "/proc", "/sys"}

// checkWritable says whether the shell user may write p.
func checkWritable(p string) error {
	for _, root := range readOnlyRoots {
		if p == root || strings.HasPrefix(p, root+"/") {
			return syscall.EROFS
		}
	}
	if p == "/" || path.Dir(p) == "/" {
		return syscall.EACCES
	}
	return nil
}

// fileError is err as a *os.PathError the interpreter prints, holding
// the errno so the text reads like bionic's.
func fileError(op, p string, err error) error {
	var errno syscall.Errno
	if !errors.As(err, &errno) {
		errno = syscall.EIO
		if errors.Is(err, fs.ErrNotExist) {
			errno = syscall.ENOENT
		}
	}
	return &os.PathError{Op: op, Path: p, Err: errno}
}

// abs resolves name against the shell's directory in ctx.
func absIn(ctx context.Context, name string) string {
	if path.IsAbs(name) {
		return path.Clean(name)
	}
	return path.Join(interp.HandlerCtx(ctx).Dir, name)
}

// open is the interpreter's OpenHandler: redirections and `.` read and
// write the phone's files; a few device nodes behave as on Linux.
func (s *session) open(ctx context.Context, name string, flag int, _ os.FileMode) (io.ReadWriteCloser, error) {
	hc := interp.HandlerCtx(ctx)
	p := absIn(ctx, name)
	switch p {
	case "/dev/null":
		return streamFile{r: strings.NewReader(""), w: io.Discard}, nil
	case "/dev/tty", "/dev/stdout":
		return streamFile{r: strings.NewReader(""), w: hc.Stdout}, nil
	case "/dev/stderr":
		return streamFile{r: strings.NewReader(""), w: hc.Stderr}, nil
	}
	if flag&(os.O_WRONLY|os.O_RDWR) == 0 {
		data, err := s.p.readFile(p)
		if err != nil {
			return nil, fileError("open", name, err)
		}
		return streamFile{r: bytes.NewReader(data), w: io.Discard}, nil
	}
	if err := checkWritable(p); err != nil {
		return nil, fileError("create", name, err)
	}
	if fi, err := s.p.fsys.Stat(path.Dir(p)); err != nil || !fi.IsDir() {
		return nil, fileError("create", name, syscall.ENOENT)
	}
	f := &phoneFile{fsys: s.p.fsys, path: p}
	if flag&os.O_APPEND != 0 {
		f.buf, _ = s.p.fsys.ReadFile(p)
	}
	// Create (or truncate) at once, as open(2) does.
	if err := f.flush(); err != nil {
		return nil, fileError("create", name, err)
	}
	return f, nil
}

// readFile reads a file of the phone: one the kernel makes up on reading
// (procFileLocked), else one of its storage.
func (p *Phone) readFile(path string) ([]byte, error) {
	p.mu.Lock()
	data, ok := p.procFileLocked(path)
	p.mu.Unlock()
	if ok {
		return data, nil
	}
	return p.fsys.ReadFile(path)
}

// streamFile adapts a reader and a writer to a file.
type streamFile struct {
	r io.Reader
	w io.Writer
}

func (f streamFile) Read(b []byte) (int, error)  { return f.r.Read(b) }
func (f streamFile) Write(b []byte) (int, error) { return f.w.Write(b) }
func (f streamFile) Close() error                { return nil }

// phoneFile is a file open for writing; writes land in the MemFS.
type phoneFile struct {
	fsys *fake.MemFS
	path string
	buf  []byte
}

func (f *phoneFile) Read([]byte) (int, error) { return 0, syscall.EBADF }

func (f *phoneFile) Write(b []byte) (int, error) {
	f.buf = append(f.buf, b...)
	if err := f.flush(); err != nil {
		return 0, err
	}
	return len(b), nil
}

func (f *phoneFile) flush() error {
	return f.fsys.WriteFile(f.path, f.buf, 0o660, time.Time{})
}

func (f *phoneFile) Close() error { return nil }

// readDir is the interpreter's ReadDirHandler2 (globbing).
func (s *session) readDir(_ context.Context, p string) ([]fs.DirEntry, error) {
	infos, err := s.p.fsys.ReadDir(p)
	if err != nil {
		return nil, err
	}
	out := make([]fs.DirEntry, len(infos))
	for i, fi := range infos {
		out[i] = fs.FileInfoToDirEntry(fi)
	}
	return out, nil
}

// stat is the interpreter's StatHandler (test -e, cd).
func (s *session) stat(_ context.Context, p string, _ bool) (fs.FileInfo, error) {
	return s.p.fsys.Stat(p)
}

// access is the interpreter's AccessHandler (test -r/-w/-x, cd).
func (s *session) access(_ context.Context, p string, mode interp.AccessMode) error {
	fi, err := s.p.fsys.Stat(p)
	if err != nil {
		return err
	}
	if mode&interp.AccessWrite != 0 {
		if err := checkWritable(p); err != nil {
			return &fs.PathError{Op: "access", Path: p, Err: err}
		}
	}
	if mode&interp.AccessExec != 0 && !fi.IsDir() && fi.Mode().Perm()&0o111 == 0 {
		return &fs.PathError{Op: "access", Path: p, Err: syscall.EACCES}
	}
	return nil
}

// cat FILE...: copies files (or stdin) to stdout.
func (c *call) cat() int {
	files := slices.DeleteFunc(slices.Clone(c.args[1:]), func(a string) bool { return strings.HasPrefix(a, "-") && a != "-" })
	if len(files) == 0 {
		files = []string{"-"}
	}
	code := 0
	for _, f := range files {
		if f == "-" {
			_, _ = io.Copy(c.stdout, c.stdin)
			continue
		}
		data, err := c.p.readFile(c.abs(f))
		if err != nil {
			c.errorf("cat: %s: %s\n", f, fake.Strerror(err))
			code = 1
			continue
		}
		_, _ = c.stdout.Write(data)
	}
	return code
}

// ls [-a] [-l] [-d] [-1] [PATH...], as toybox prints to a pipe.
func (c *call) ls() int {
	var long, dirOnly, all bool
	var paths []string
	for _, a := range c.args[1:] {
		if strings.HasPrefix(a, "-") && len(a) > 1 {
			long = long || strings.Contains(a, "l")
			dirOnly = dirOnly || strings.Contains(a, "d")
			all = all || strings.ContainsAny(a, "aA")
			continue
		}
		paths = append(paths, a)
	}
	if len(paths) == 0 {
		paths = []string{"."}
	}
	code := 0
	for i, arg := range paths {
		p := c.abs(arg)
		fi, err := c.p.fsys.Stat(p)
		if err != nil {
			c.errorf("ls: %s: %s\n", arg, fake.Strerror(err))
			code = 1
			continue
		}
		if !fi.IsDir() || dirOnly {
			c.lsEntry(fi, arg, long)
			continue
		}
		infos, err := c.p.fsys.ReadDir(p)
		if err != nil {
			c.errorf("ls: %s: %s\n", arg, fake.Strerror(err))
			code = 1
			continue
		}
		if len(paths) > 1 {
			if i > 0 {
				c.printf("\n")
			}
			c.printf("%s:\n", arg)
		}
		if long {
			c.printf("total %d\n", len(infos))
		}
		for _, e := range infos {
			if strings.HasPrefix(e.Name(), ".") && !all {
				continue
			}
			c.lsEntry(e, e.Name(), long)
		}
	}
	return code
}

func (c *call) lsEntry(fi fs.FileInfo, name string, long bool) {
	if !long {
		c.printf("%s\n", name)
		return
	}
	mt := fi.ModTime()
	if mt.IsZero() {
		mt = time.Date(2009, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	c.printf("%s 1 shell shell %d %s %s\n", fi.Mode().String(), fi.Size(), mt.UTC().Format("2006-01-02 15:04"), name)
}

// rm [-f] [-r] PATH...
func (c *call) rm() int {
	var force, recursive bool
	var paths []string
	for _, a := range c.args[1:] {
		if strings.HasPrefix(a, "-") && len(a) > 1 {
			force = force || strings.Contains(a, "f")
			recursive = recursive || strings.ContainsAny(a, "rR")
			continue
		}
		paths = append(paths, a)
	}
	if len(paths) == 0 && !force {
		c.errorf("rm: Needs 1 argument\n")
		return 1
	}
	code := 0
	for _, arg := range paths {
		p := c.abs(arg)
		fi, err := c.p.fsys.Stat(p)
		if err != nil {
			if !force {
				c.errorf("rm: %s: %s\n", arg, fake.Strerror(err))
				code = 1
			}
			continue
		}
		if err := checkWritable(p); err != nil {
			c.errorf("rm: %s: %s\n", arg, fake.Strerror(err))
			code = 1
			continue
		}
		if fi.IsDir() {
			if !recursive {
				c.errorf("rm: %s: Is a directory\n", arg)
				code = 1
				continue
			}
			err = c.p.fsys.RemoveAll(p)
		} else {
			err = c.p.fsys.Remove(p)
		}
		if err != nil {
			c.errorf("rm: %s: %s\n", arg, fake.Strerror(err))
			code = 1
		}
	}
	return code
}

// mkdir [-p] [-m MODE] DIR...
func (c *call) mkdir() int {
	parents := false
	var dirs []string
	args := c.args[1:]
	for i := 0; i < len(args); i++ {
		switch a := args[i]; {
		case a == "-m":
			i++ // the mode is not kept
		case strings.HasPrefix(a, "-") && len(a) > 1:
			parents = parents || strings.Contains(a, "p")
		default:
			dirs = append(dirs, a)
		}
	}
	if len(dirs) == 0 {
		c.errorf("mkdir: Needs 1 argument\n")
		return 1
	}
	code := 0
	for _, arg := range dirs {
		p := c.abs(arg)
		if err := checkWritable(p); err != nil {
			c.errorf("mkdir: '%s': %s\n", arg, fake.Strerror(err))
			code = 1
			continue
		}
		if !parents {
			// One step, as mkdir(2): of two shells making the same
			// directory exactly one succeeds.
			switch err := c.p.fsys.Mkdir(p, 0o771); {
			case errors.Is(err, fs.ErrExist):
				c.errorf("mkdir: '%s': File exists\n", arg)
				code = 1
			case err != nil:
				c.errorf("mkdir: '%s': No such file or directory\n", arg)
				code = 1
			}
			continue
		}
		if fi, err := c.p.fsys.Stat(p); err == nil {
			if !fi.IsDir() {
				c.errorf("mkdir: '%s': File exists\n", arg)
				code = 1
			}
			continue
		}
		if err := c.p.fsys.MkdirAll(p, 0o771); err != nil {
			c.errorf("mkdir: '%s': %s\n", arg, fake.Strerror(err))
			code = 1
		}
	}
	return code
}

// syncFS is the phone's storage as the sync: service sees it: each
// request costs Latency.Sync, and the read-only partitions refuse writes.
type syncFS struct {
	p   *Phone
	ctx context.Context
}

func (f *syncFS) charge() {
	f.p.mu.Lock()
	sleep := f.p.advanceLocked(f.p.cfg.latency.Sync)
	f.p.mu.Unlock()
	sleepReal(f.ctx, sleep)
}

func (f *syncFS) Stat(p string) (fs.FileInfo, error) {
	f.charge()
	return f.p.fsys.Stat(p)
}

func (f *syncFS) ReadFile(p string) ([]byte, error) {
	f.charge()
	return f.p.fsys.ReadFile(p)
}

func (f *syncFS) WriteFile(p string, data []byte, mode fs.FileMode, mtime time.Time) error {
	f.charge()
	if err := checkWritable(path.Join("/", p)); err != nil {
		return &fs.PathError{Op: "open", Path: p, Err: err}
	}
	return f.p.fsys.WriteFile(p, data, mode, mtime)
}

func (f *syncFS) ReadDir(p string) ([]fs.FileInfo, error) {
	f.charge()
	return f.p.fsys.ReadDir(p)
}
