package fake

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"strings"
	"sync"
	"syscall"
	"testing"
	"testing/iotest"
	"time"

	"github.com/miacct/miacct/adb"
)

// syncTestMsg is a sync message: id, uint32 LE length, payload.
func syncTestMsg(id, payload string) []byte {
	b := []byte(id)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(payload)))
	return append(b, payload...)
}

// syncTestWord is a sync message with a number instead of a payload (DONE
// mtime, DATA with a lying length).
func syncTestWord(id string, n uint32) []byte {
	return binary.LittleEndian.AppendUint32([]byte(id), n)
}

// syncTestRun feeds input to ServeSync one byte per read (sync messages are
// not aligned with reads) and returns what it answered.
func syncTestRun(t *testing.T, fsys FileSystem, input ...[]byte) ([]byte, error) {
	t.Helper()
	var out bytes.Buffer
	in := iotest.OneByteReader(bytes.NewReader(bytes.Join(input, nil)))
	err := ServeSync(context.Background(), struct {
		io.Reader
		io.Writer
	}{in, &out}, fsys)
	return out.Bytes(), err
}

func syncTestFail(msg string) []byte {
	return append(syncTestWord("FAIL", uint32(len(msg))), msg...)
}

func syncTestBytes(n int, seed uint64) []byte {
	rng := rand.New(rand.NewPCG(seed, seed+1))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return b
}

func TestSyncPushPullThroughGadb(t *testing.T) {
	tt := newHostTestTarget("s", adb.StateDevice)
	srv := hpStartServer(t, ServerOptions{}, tt)
	d := hpGadbDevice(t, hpGadbClient(t, srv), "s")

	data := syncTestBytes(1<<20, 7)
	mtime := time.Unix(1700000000, 0)
	if err := d.Push(bytes.NewReader(data), "/sdcard/Download/blob.bin", mtime); err != nil {
		t.Fatalf("Push: %v", err)
	}
	stored, err := tt.fs.ReadFile("/sdcard/Download/blob.bin")
	if err != nil || sha256.Sum256(stored) != sha256.Sum256(data) {
		t.Fatalf("stored file differs (%d bytes, %v)", len(stored), err)
	}
	fi, err := tt.fs.Stat("/sdcard/Download/blob.bin")
	if err != nil || fi.Mode() != 0o664 || !fi.ModTime().Equal(mtime) {
		t.Fatalf("stored file info %v %v, %v", fi.Mode(), fi.ModTime(), err)
	}

	var pulled bytes.Buffer
	if err := d.Pull("/sdcard/Download/blob.bin", &pulled); err != nil {
		t.Fatalf("Pull: %v", err)
	}
	if sha256.Sum256(pulled.Bytes()) != sha256.Sum256(data) {
		t.Fatalf("pulled %d bytes that differ from the pushed ones", pulled.Len())
	}

	pulled.Reset()
	err = d.Pull("/sdcard/missing.txt", &pulled)
	if err == nil || !strings.Contains(err.Error(), "No such file or directory") {
		t.Fatalf("Pull of a missing file: %v", err)
	}
}

func TestSyncListThroughGadb(t *testing.T) {
	tt := newHostTestTarget("s", adb.StateDevice)
	mtime := time.Unix(1600000000, 0)
	syncTestMust(t, tt.fs.WriteFile("/sdcard/a.txt", []byte("hello"), 0o644, mtime))
	syncTestMust(t, tt.fs.WriteFile("/sdcard/DCIM/Camera/x.jpg", []byte("jpg"), 0o600, mtime))
	syncTestMust(t, tt.fs.MkdirAll("/sdcard/Empty", 0o770))
	srv := hpStartServer(t, ServerOptions{}, tt)
	d := hpGadbDevice(t, hpGadbClient(t, srv), "s")

	entries, err := d.List("/sdcard")
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, fmt.Sprintf("%s:%o:%d:%v", e.Name, uint32(e.Mode), e.Size, e.IsDir()))
	}
	want := []string{".:40755:0:true", "..:40755:0:true", "DCIM:40755:0:true", "Empty:40770:0:true", "a.txt:100644:5:false"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("List = %v, want %v", got, want)
	}
	if !entries[4].LastModified.Equal(mtime) {
		t.Errorf("a.txt mtime %v", entries[4].LastModified)
	}

	entries, err = d.List("/nowhere")
	if err != nil || len(entries) != 0 {
		t.Errorf("List of a missing dir = %v, %v", entries, err)
	}
}

func TestSyncStatOverTheServer(t *testing.T) {
	tt := newHostTestTarget("s", adb.StateDevice)
	syncTestMust(t, tt.fs.WriteFile("/data/local/tmp/f", []byte("12345"), 0o755, time.Unix(42, 0)))
	srv := hpStartServer(t, ServerOptions{}, tt)
	r := hpDial(t, srv)
	r.send("host:transport:s")
	r.mustOkay("transport")
	r.send("sync:")
	r.mustOkay("sync")

	// Both requests in one write: the device must not rely on alignment.
	_, err := r.c.Write(append(syncTestMsg("STAT", "/nope"), syncTestMsg("STAT", "/data/local/tmp/f")...))
	syncTestMust(t, err)
	if got, want := r.read(16), append([]byte("STAT"), make([]byte, 12)...); !bytes.Equal(got, want) {
		t.Fatalf("STAT of a missing file = %q, want %q", got, want)
	}
	got := r.read(16)
	if string(got[:4]) != "STAT" || binary.LittleEndian.Uint32(got[4:]) != 0o100755 ||
		binary.LittleEndian.Uint32(got[8:]) != 5 || binary.LittleEndian.Uint32(got[12:]) != 42 {
		t.Fatalf("STAT of a file = %q", got)
	}
	_, err = r.c.Write(syncTestMsg("QUIT", ""))
	syncTestMust(t, err)
	if rest := r.readAll(); len(rest) != 0 {
		t.Fatalf("after QUIT: %q", rest)
	}
}

func TestServeSyncSend(t *testing.T) {
	fsys := NewMemFS()
	out, err := syncTestRun(t, fsys,
		syncTestMsg("SEND", "/sdcard/a,b.txt,420"),
		syncTestMsg("DATA", "hello "),
		syncTestMsg("DATA", ""),
		syncTestMsg("DATA", "world"),
		syncTestWord("DONE", 1234),
		syncTestMsg("SEND", "/sdcard/octal,0600"),
		syncTestWord("DONE", 0),
		syncTestMsg("QUIT", ""),
		syncTestMsg("STAT", "/never/served"),
	)
	if err != nil {
		t.Fatalf("ServeSync: %v", err)
	}
	if want := append(syncTestWord("OKAY", 0), syncTestWord("OKAY", 0)...); !bytes.Equal(out, want) {
		t.Fatalf("answered %q, want %q", out, want)
	}
	data, err := fsys.ReadFile("/sdcard/a,b.txt")
	if err != nil || string(data) != "hello world" {
		t.Fatalf("file with a comma: %q, %v", data, err)
	}
	fi, _ := fsys.Stat("/sdcard/a,b.txt")
	if fi.Mode() != 0o644 || fi.ModTime().Unix() != 1234 {
		t.Fatalf("mode %v mtime %v", fi.Mode(), fi.ModTime())
	}
	fi, err = fsys.Stat("/sdcard/octal")
	if err != nil || fi.Mode() != 0o600 || fi.Size() != 0 {
		t.Fatalf("octal mode file: %v, %v", fi, err)
	}
}

func TestServeSyncFailures(t *testing.T) {
	longPath := "/" + strings.Repeat("p", 1024)
	for _, tc := range []struct {
		name      string
		input     [][]byte
		want      []byte
		protoErr  bool
		setupFile string
	}{
		{
			name:     "oversize DATA",
			input:    [][]byte{syncTestMsg("SEND", "/x,420"), syncTestWord("DATA", 64<<10+1), make([]byte, 64<<10+1)},
			want:     syncTestFail("oversize data message"),
			protoErr: true,
		},
		{
			name:     "unknown id",
			input:    [][]byte{syncTestMsg("JUNK", "")},
			want:     syncTestFail("unknown command 4b4e554a"),
			protoErr: true,
		},
		{
			name:     "path too long",
			input:    [][]byte{syncTestMsg("RECV", longPath)},
			want:     syncTestFail("path too long"),
			protoErr: true,
		},
		{
			name:     "SEND without mode",
			input:    [][]byte{syncTestMsg("SEND", "/x")},
			want:     syncTestFail("missing , in ID_SEND"),
			protoErr: true,
		},
		{
			name:     "bad mode",
			input:    [][]byte{syncTestMsg("SEND", "/x,rw")},
			want:     syncTestFail("bad mode"),
			protoErr: true,
		},
		{
			name:     "not DATA or DONE",
			input:    [][]byte{syncTestMsg("SEND", "/x,420"), syncTestMsg("STAT", "/x")},
			want:     syncTestFail("invalid data message"),
			protoErr: true,
		},
		{
			name:  "RECV missing",
			input: [][]byte{syncTestMsg("RECV", "/missing"), syncTestMsg("STAT", "/")},
			want:  syncTestFail("open failed: No such file or directory"),
		},
		{
			name:  "RECV a directory",
			input: [][]byte{syncTestMsg("RECV", "/sdcard")},
			want:  syncTestFail("read failed: Is a directory"),
		},
		{
			name:  "SEND below a file",
			input: [][]byte{syncTestMsg("SEND", "/sdcard/f/g,420"), syncTestMsg("DATA", "x"), syncTestWord("DONE", 0)},
			want:  syncTestFail("couldn't create file: Not a directory"),
		},
		{
			name:  "SEND onto a directory",
			input: [][]byte{syncTestMsg("SEND", "/sdcard,420"), syncTestWord("DONE", 0)},
			want:  syncTestFail("couldn't create file: Is a directory"),
		},
		{
			name:  "client gone mid-SEND",
			input: [][]byte{syncTestMsg("SEND", "/sdcard/partial,420"), syncTestMsg("DATA", "abc")},
		},
		{
			name:  "client gone mid-header",
			input: [][]byte{[]byte("STA")},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fsys := NewMemFS()
			syncTestMust(t, fsys.WriteFile("/sdcard/f", []byte("file"), 0o644, time.Time{}))
			out, err := syncTestRun(t, fsys, tc.input...)
			if !bytes.Equal(out, tc.want) {
				t.Errorf("answered %q, want %q", out, tc.want)
			}
			if got := errors.Is(err, errSyncProtocol); got != tc.protoErr {
				t.Errorf("ServeSync error %v, want a protocol error: %v", err, tc.protoErr)
			}
			if !tc.protoErr && err != nil {
				t.Errorf("ServeSync error %v, want nil", err)
			}
			if _, err := fsys.Stat("/sdcard/partial"); err == nil {
				t.Errorf("an unfinished push left a file")
			}
		})
	}
}

func TestServeSyncRecvChunks(t *testing.T) {
	fsys := NewMemFS()
	data := syncTestBytes(64<<10*2+5, 3)
	syncTestMust(t, fsys.WriteFile("/f", data, 0o644, time.Time{}))
	syncTestMust(t, fsys.WriteFile("/empty", nil, 0o644, time.Time{}))
	out, err := syncTestRun(t, fsys, syncTestMsg("RECV", "/f"), syncTestMsg("RECV", "/empty"))
	if err != nil {
		t.Fatal(err)
	}
	var want []byte
	for _, chunk := range [][]byte{data[:64<<10], data[64<<10 : 128<<10], data[128<<10:]} {
		want = append(append(want, syncTestWord("DATA", uint32(len(chunk)))...), chunk...)
	}
	want = append(want, syncTestWord("DONE", 0)...)
	want = append(want, syncTestWord("DONE", 0)...) // the empty file
	if !bytes.Equal(out, want) {
		t.Fatalf("RECV answered %d bytes, want %d in 64 KiB chunks", len(out), len(want))
	}
}

func TestServeSyncListEndsWithDone(t *testing.T) {
	fsys := NewMemFS()
	syncTestMust(t, fsys.WriteFile("/d/f", []byte("x"), 0o600, time.Unix(9, 0)))
	out, err := syncTestRun(t, fsys, syncTestMsg("LIST", "/d/f"), syncTestMsg("LIST", "/d"))
	if err != nil {
		t.Fatal(err)
	}
	done := append([]byte("DONE"), make([]byte, 16)...)
	if !bytes.HasPrefix(out, done) {
		t.Fatalf("LIST of a file = %q, want only DONE", out[:min(len(out), 20)])
	}
	out = out[len(done):]
	if !bytes.HasSuffix(out, done) {
		t.Fatalf("LIST does not end with DONE and 16 zero bytes: %q", out)
	}
	dent := func(mode, size, mtime uint32, name string) []byte {
		b := []byte("DENT")
		for _, w := range []uint32{mode, size, mtime, uint32(len(name))} {
			b = binary.LittleEndian.AppendUint32(b, w)
		}
		return append(b, name...)
	}
	want := bytes.Join([][]byte{dent(0o40755, 0, 0, "."), dent(0o40755, 0, 0, ".."), dent(0o100600, 1, 9, "f"), done}, nil)
	if !bytes.Equal(out, want) {
		t.Fatalf("LIST = %q\nwant %q", out, want)
	}
}

func TestServeSyncStopsOnCancelledContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var out bytes.Buffer
	err := ServeSync(ctx, struct {
		io.Reader
		io.Writer
	}{strings.NewReader(string(syncTestMsg("STAT", "/"))), &out}, NewMemFS())
	if err != nil || out.Len() != 0 {
		t.Fatalf("ServeSync with a cancelled ctx = %v, answered %q", err, out.Bytes())
	}
}

func TestMemFS(t *testing.T) {
	var m MemFS // the zero value is usable
	syncTestMust(t, m.WriteFile("/sdcard/DCIM/a.png", []byte("png"), 0o644, time.Unix(5, 0)))
	syncTestMust(t, m.WriteFile("relative.txt", []byte("r"), 0o600, time.Time{}))
	syncTestMust(t, m.MkdirAll("/data/local/tmp", 0o771))

	for _, dir := range []string{"/", "/sdcard", "/sdcard/DCIM", "/data/local", "/data/local/tmp/"} {
		fi, err := m.Stat(dir)
		if err != nil || !fi.IsDir() {
			t.Errorf("Stat(%q) = %v, %v; want a directory", dir, fi, err)
		}
	}
	if fi, err := m.Stat("/data/local/tmp"); err != nil || fi.Mode().Perm() != 0o771 || fi.Name() != "tmp" {
		t.Errorf("explicit dir: %v, %v", fi, err)
	}
	if data, err := m.ReadFile("/relative.txt"); err != nil || string(data) != "r" {
		t.Errorf("relative path is taken from /: %q, %v", data, err)
	}

	list := func(p string) string {
		entries, err := m.ReadDir(p)
		if err != nil {
			return err.Error()
		}
		var names []string
		for _, e := range entries {
			n := e.Name()
			if e.IsDir() {
				n += "/"
			}
			names = append(names, n)
		}
		return strings.Join(names, " ")
	}
	if got := list("/"); got != "data/ relative.txt sdcard/" {
		t.Errorf("ReadDir(/) = %q", got)
	}
	if got := list("/sdcard"); got != "DCIM/" {
		t.Errorf("ReadDir(/sdcard) = %q", got)
	}

	for _, tc := range []struct {
		name string
		err  error
		want syscall.Errno
	}{
		{"stat missing", syncTestErr(m.Stat("/nope")), syscall.ENOENT},
		{"stat below a file", syncTestErr(m.Stat("/relative.txt/x")), syscall.ENOTDIR},
		{"read a dir", syncTestErr(m.ReadFile("/sdcard")), syscall.EISDIR},
		{"read missing", syncTestErr(m.ReadFile("/sdcard/nope")), syscall.ENOENT},
		{"readdir a file", syncTestErr(m.ReadDir("/relative.txt")), syscall.ENOTDIR},
		{"readdir missing", syncTestErr(m.ReadDir("/nope")), syscall.ENOENT},
		{"write onto a dir", m.WriteFile("/sdcard", nil, 0o644, time.Time{}), syscall.EISDIR},
		{"write below a file", m.WriteFile("/relative.txt/x", nil, 0o644, time.Time{}), syscall.ENOTDIR},
		{"mkdir onto a file", m.MkdirAll("/relative.txt", 0o755), syscall.ENOTDIR},
		{"remove non-empty", m.Remove("/sdcard"), syscall.ENOTEMPTY},
		{"remove missing", m.Remove("/nope"), syscall.ENOENT},
	} {
		var pe *fs.PathError
		if !errors.Is(tc.err, tc.want) || !errors.As(tc.err, &pe) {
			t.Errorf("%s: %v, want a PathError with %v", tc.name, tc.err, tc.want)
		}
	}
	if !errors.Is(syncTestErr(m.Stat("/nope")), fs.ErrNotExist) {
		t.Errorf("missing files are not fs.ErrNotExist")
	}

	syncTestMust(t, m.Remove("/sdcard/DCIM/a.png"))
	if _, err := m.Stat("/sdcard"); err == nil {
		t.Errorf("an implied directory outlived its last file")
	}
	syncTestMust(t, m.Remove("/data/local/tmp"))
	syncTestMust(t, m.RemoveAll("/data"))
	if got := list("/"); got != "relative.txt" {
		t.Errorf("after removals ReadDir(/) = %q", got)
	}

	// Stored data is a copy: callers cannot change the file behind it.
	buf := []byte("abc")
	syncTestMust(t, m.WriteFile("/c", buf, 0o644, time.Time{}))
	buf[0] = 'X'
	got, _ := m.ReadFile("/c")
	got[1] = 'Y'
	if again, _ := m.ReadFile("/c"); string(again) != "abc" {
		t.Errorf("MemFS shares buffers with callers: %q", again)
	}
}

func TestMemFSConcurrentUse(t *testing.T) {
	m := NewMemFS()
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				p := fmt.Sprintf("/sdcard/w%d/f%d", w, i)
				if err := m.WriteFile(p, []byte(p), 0o644, time.Time{}); err != nil {
					t.Error(err)
					return
				}
				if data, err := m.ReadFile(p); err != nil || string(data) != p {
					t.Errorf("read back %q: %q, %v", p, data, err)
					return
				}
				if _, err := m.ReadDir("/sdcard"); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	entries, err := m.ReadDir("/sdcard")
	if err != nil || len(entries) != 8 {
		t.Fatalf("ReadDir after concurrent writes: %d entries, %v", len(entries), err)
	}
}

func syncTestErr[T any](_ T, err error) error { return err }

func syncTestMust(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
