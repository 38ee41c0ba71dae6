package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"image/png"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/electricbubble/gadb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/miacct/miacct/adb/hierarchy"
)

// `miacct fake serve miui14-en` serves a phone an independent ADB client
// (gadb, used directly, not through miacct's adb package) can list, run
// shell commands on, dump, screenshot, push to and pull from.
func TestFakeServeWithAnIndependentGadbClient(t *testing.T) {
	addrFile := filepath.Join(t.TempDir(), "addr")
	var stderr bytes.Buffer
	app := &App{IO: &IOStreams{In: strings.NewReader(""), Out: &bytes.Buffer{}, ErrOut: &stderr, Getenv: func(string) string { return "" }}}
	done := make(chan error, 1)
	ctx, stop := context.WithCancel(context.Background())
	go func() {
		done <- runFakeServe(ctx, &FakeServeOptions{App: app, Scenarios: []string{"miui14-en"}, Listen: "127.0.0.1:0", AddrFile: addrFile, Copies: 1})
	}()
	t.Cleanup(func() {
		stop()
		require.NoError(t, <-done)
	})
	var addr string
	for deadline := time.Now().Add(10 * time.Second); addr == ""; {
		if data, err := os.ReadFile(addrFile); err == nil && bytes.HasSuffix(data, []byte("\n")) {
			addr = strings.TrimSpace(string(data))
			break
		}
		require.True(t, time.Now().Before(deadline), "fake serve wrote no address")
		time.Sleep(5 * time.Millisecond) // waiting for the server goroutine to listen
	}
	host, portText, _ := strings.Cut(addr, ":")
	port, err := strconv.Atoi(portText)
	require.NoError(t, err)

	client, err := gadb.NewClientWith(host, port)
	require.NoError(t, err)
	devices, err := client.DeviceList()
	require.NoError(t, err)
	require.Len(t, devices, 1)
	dev := devices[0]
	assert.Equal(t, "6d8f2a41", dev.Serial())
	model, _ := dev.Model()
	assert.Equal(t, "23021RAAEG", model)

	out, err := dev.RunShellCommand("getprop ro.product.marketname")
	require.NoError(t, err)
	assert.Equal(t, "Redmi Note 12\n", out)

	dump, err := dev.RunShellCommand("uiautomator dump /dev/tty")
	require.NoError(t, err)
	h, err := hierarchy.Parse([]byte(dump))
	require.NoError(t, err)
	assert.NotEmpty(t, h.Nodes())

	shot, err := dev.RunShellCommandWithBytes("screencap -p")
	require.NoError(t, err)
	img, err := png.Decode(bytes.NewReader(shot))
	require.NoError(t, err)
	assert.Equal(t, 1080, img.Bounds().Dx())

	data := make([]byte, 256<<10)
	_, _ = rand.Read(data)
	require.NoError(t, dev.Push(bytes.NewReader(data), "/data/local/tmp/blob", time.Now()))
	var back bytes.Buffer
	require.NoError(t, dev.Pull("/data/local/tmp/blob", &back))
	assert.Equal(t, sha256.Sum256(data), sha256.Sum256(back.Bytes()))
}
