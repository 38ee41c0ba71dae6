package phone

import (
	"context"
	"strings"
	"testing"

	"github.com/miacct/miacct/adb"
	"github.com/miacct/miacct/adb/fake"
	"github.com/miacct/miacct/adb/fake/fixture"
)

// Recorded commands reach the phone the way miacct's driver sends them:
// wrapped in `( CMD\n)\necho :miacct-exit:$?`. These tests go through the
// real client and server, so they fail if the wrapper changes shape.

func replayDevice(t *testing.T, change func(*fixture.Fixture)) (adb.Device, *Phone) {
	t.Helper()
	var changes []func(*fixture.Fixture)
	if change != nil {
		changes = append(changes, change)
	}
	p := newTestPhone(t, changes...)
	srv, err := fake.NewServer(p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	c := adb.NewClient(srv.Addr(), adb.ClientOptions{})
	dev, err := c.Device(context.Background(), p.Serial())
	if err != nil {
		t.Fatal(err)
	}
	return dev, p
}

func TestRecordedCommandInsideDriverWrapper(t *testing.T) {
	dev, p := replayDevice(t, func(fx *fixture.Fixture) {
		fx.Commands = []fixture.Command{
			{Service: "shell", Cmd: "dumpsys account; echo :s:; dumpsys power", Outputs: []fixture.Output{
				{Stdout: "recorded accounts\n:s:\nrecorded power\n"},
				{Stdout: "second answer\n", Exit: 4},
			}},
			{Service: "shell", Cmd: "getprop ro.vendor.special", Outputs: []fixture.Output{{Stdout: "special\n"}}},
		}
	})
	ctx := context.Background()
	res, err := dev.Shell(ctx, "dumpsys account; echo :s:; dumpsys power")
	if err != nil {
		t.Fatal(err)
	}
	if res.String() != "recorded accounts\n:s:\nrecorded power\n" || res.ExitCode != 0 {
		t.Errorf("first answer = %q, exit %d", res.String(), res.ExitCode)
	}
	res, err = dev.Shell(ctx, "dumpsys account;  echo  :s:; dumpsys 'power'")
	if err != nil {
		t.Fatal(err)
	}
	if res.String() != "second answer\n" || res.ExitCode != 4 {
		t.Errorf("second answer (same command, other spacing) = %q, exit %d", res.String(), res.ExitCode)
	}
	// A recording covering the first statements answers them; the rest runs.
	res, err = dev.Shell(ctx, "getprop ro.vendor.special; echo after")
	if err != nil {
		t.Fatal(err)
	}
	if res.String() != "special\nafter\n" {
		t.Errorf("prefix answer = %q", res.String())
	}
	if u := p.Unrecorded(); len(u) != 0 {
		t.Errorf("Unrecorded = %q", u)
	}
}

func TestRecordingAnswersOnlyWhatWasRecorded(t *testing.T) {
	dev, p := replayDevice(t, func(fx *fixture.Fixture) {
		fx.Recording = &fixture.Recording{Command: "remove", Calls: 3, Complete: true}
		fx.Commands = []fixture.Command{
			{Service: "shell", Cmd: "dumpsys account", Outputs: []fixture.Output{{Stdout: "recorded\n"}}},
		}
	})
	ctx := context.Background()
	res, err := dev.Shell(ctx, "dumpsys account")
	if err != nil || res.String() != "recorded\n" {
		t.Fatalf("recorded command = %q, %v", res.String(), err)
	}
	res, err = dev.Shell(ctx, "dumpsys window")
	if err != nil {
		t.Fatal(err)
	}
	if res.ExitCode != 127 || !strings.Contains(res.String(), "dumpsys: not found") {
		t.Errorf("unrecorded command = %q, exit %d; want not found, 127", res.String(), res.ExitCode)
	}
	// The UI tools are still simulated from the screens.
	if _, err := adb.DumpUI(ctx, dev); err != nil {
		t.Errorf("dump on a recording: %v", err)
	}
	if err := adb.Input(ctx, dev, adb.KeyEvent(adb.KeyWakeup)); err != nil {
		t.Errorf("input on a recording: %v", err)
	}
	u := p.Unrecorded()
	if len(u) != 1 || u[0] != "unrecorded command dumpsys" {
		t.Errorf("Unrecorded = %q", u)
	}
}

func TestUnrecordedCommandsStillSimulatedInFixtures(t *testing.T) {
	dev, p := replayDevice(t, nil)
	res, err := dev.Shell(context.Background(), "dumpsys account")
	if err != nil || res.ExitCode != 0 || !strings.Contains(res.String(), "Account {name=") {
		t.Errorf("a fixture (not a recording) simulates dumpsys: %q, exit %d, %v", res.String(), res.ExitCode, err)
	}
	if u := p.Unrecorded(); len(u) != 0 {
		t.Errorf("Unrecorded = %q", u)
	}
}
