package adb_test

import (
	"context"
	"errors"
	"io"
	"testing"

	"github.com/miacct/miacct/adb/fake"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/miacct/miacct/adb"
	"github.com/miacct/miacct/adb/fake/faketest"
	"github.com/miacct/miacct/adb/fake/phone"
)

// TestTrackDevices follows a fake server's device list as phones are
// plugged in and pulled out: every change arrives, nothing is polled.
func TestTrackDevices(t *testing.T) {
	newPhone := func(serial string) *phone.Phone {
		ph, err := phone.New(faketest.Fixture(t, "miui14-en"), phone.Options{Serial: serial})
		require.NoError(t, err)
		return ph
	}
	env := faketest.Serve(t, faketest.Options{}, newPhone("aaaa0001"))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	lists := make(chan []adb.DeviceInfo)
	done := make(chan error, 1)
	go func() {
		done <- env.Client.TrackDevices(ctx, func(l []adb.DeviceInfo) error {
			select {
			case lists <- l:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		})
	}()
	serials := func(l []adb.DeviceInfo) []string {
		var out []string
		for _, d := range l {
			assert.Equal(t, env.Client.Addr(), d.Server)
			out = append(out, d.Serial+" "+string(d.State))
		}
		return out
	}
	assert.Equal(t, []string{"aaaa0001 device"}, serials(<-lists))
	env.Server.Add(newPhone("aaaa0002"))
	assert.Equal(t, []string{"aaaa0001 device", "aaaa0002 device"}, serials(<-lists))
	require.True(t, env.Server.Remove("aaaa0001"))
	assert.Equal(t, []string{"aaaa0002 device"}, serials(<-lists))
	assert.False(t, env.Server.Remove("aaaa0001"), "already gone")
	cancel()
	err := <-done
	assert.True(t, errors.Is(err, context.Canceled), "TrackDevices ends with ctx: %v", err)
}

// TestRemovedDeviceDropsItsCalls: a phone pulled out mid-call ends the
// call as a lost device, and it is then not found.
func TestRemovedDeviceDropsItsCalls(t *testing.T) {
	ph, err := phone.New(faketest.Fixture(t, "miui14-en-hang"), phone.Options{})
	require.NoError(t, err)
	target := &openSignal{Phone: ph, opened: make(chan struct{}, 8)}
	env := faketest.Serve(t, faketest.Options{}, target)
	ctx := context.Background()
	dev, err := env.Client.Device(ctx, ph.Serial())
	require.NoError(t, err)
	errs := make(chan error, 1)
	go func() {
		_, err := dev.Shell(ctx, "uiautomator dump /dev/tty") // it hangs on this phone
		errs <- err
	}()
	select { // the dump is in flight
	case <-target.opened:
	case err := <-errs:
		t.Fatalf("dump ended before the phone was pulled out: %v", err)
	}
	require.True(t, env.Server.Remove(ph.Serial()))
	err = <-errs
	assert.ErrorIs(t, err, adb.ErrDeviceLost)
	_, err = env.Client.Device(ctx, ph.Serial())
	assert.ErrorIs(t, err, adb.ErrDeviceNotFound)
}

// openSignal is a phone that says when a device service opens on it.
type openSignal struct {
	*phone.Phone
	opened chan struct{}
}

func (o *openSignal) Open(ctx context.Context, service string) (fake.Service, error) {
	svc, err := o.Phone.Open(ctx, service)
	if svc != nil {
		inner := svc
		svc = func(ctx context.Context, rw io.ReadWriter) error {
			o.opened <- struct{}{}
			return inner(ctx, rw)
		}
	}
	return svc, err
}
