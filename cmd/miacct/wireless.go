package main

import (
	"context"
	"strings"

	"github.com/spf13/cobra"

	"github.com/miacct/miacct/adb"
)

// WirelessOptions are the options of `miacct connect` and `miacct
// disconnect`.
type WirelessOptions struct {
	App  *App
	Addr string // HOST:PORT of the phone's wireless debugging
}

// wirelessResult is what connect and disconnect print with --json.
type wirelessResult struct {
	OK       bool   `json:"ok"`
	ExitCode int    `json:"exit_code"`
	Command  string `json:"command"`
	Address  string `json:"address"`
	Server   string `json:"server"`
	Message  string `json:"message"` // the ADB server's answer, or the error
}

func newConnectCmd(app *App) *cobra.Command {
	opts := &WirelessOptions{App: app}
	return &cobra.Command{
		Use:   "connect HOST:PORT",
		Short: "Connect the ADB server to a phone with wireless debugging",
		Long: `connect asks the ADB server to connect to a phone over the network, as
adb connect does, so miacct can work on it without a cable: -s HOST:PORT
then names it in every command.

On Android 11 and later (MIUI 12.5+, HyperOS), turn on Developer options >
Wireless debugging, then pair this computer once with adb itself (miacct
does not pair): "Pair device with pairing code" shows an address and a
six-digit code; run adb pair PAIR-HOST:PAIR-PORT and type the code. Then
connect to the address and port shown on the Wireless debugging screen
itself (not the pairing one). The port changes each time wireless
debugging is turned on. A phone that runs adb tcpip 5555 (over USB
first) is reached at its Wi-Fi address, port 5555.

Without a port, adb's default 5555 is used.`,
		Example: `  adb pair 192.0.2.7:37121              # once; type the six-digit code
  miacct connect 192.0.2.7:41235
  miacct -s 192.0.2.7:41235 doctor
  miacct -s 192.0.2.7:41235 remove`,
		Args: wirelessArgs("connect"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Addr = args[0]
			return runWireless(cmd.Context(), opts, "connect")
		},
		ValidArgsFunction: cobra.NoFileCompletions,
	}
}

func newDisconnectCmd(app *App) *cobra.Command {
	opts := &WirelessOptions{App: app}
	return &cobra.Command{
		Use:   "disconnect HOST:PORT",
		Short: "Disconnect the ADB server from a phone connected over the network",
		Long: `disconnect asks the ADB server to drop a phone it reached with connect
(or adb connect), as adb disconnect does. Wireless debugging stays on on
the phone; connect again to go on.`,
		Example: "  miacct disconnect 192.0.2.7:41235",
		Args:    wirelessArgs("disconnect"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Addr = args[0]
			return runWireless(cmd.Context(), opts, "disconnect")
		},
	}
}

// wirelessArgs wants exactly one non-empty HOST:PORT.
func wirelessArgs(command string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != 1 || strings.TrimSpace(args[0]) == "" {
			return usagef("%s needs exactly one HOST:PORT, the address the phone's Wireless debugging screen shows", command)
		}
		if strings.ContainsAny(args[0], " \t\n/") {
			return usagef("%s: %q is not a HOST:PORT address", command, args[0])
		}
		return nil
	}
}

func runWireless(ctx context.Context, opts *WirelessOptions, command string) error {
	app := opts.App
	if len(app.Global.ADB) > 1 {
		return usagef("%s talks to one ADB server: give --adb once", command)
	}
	c, err := app.client(ctx)
	if err != nil {
		return err
	}
	var reply string
	if command == "connect" {
		reply, err = c.Connect(ctx, opts.Addr)
	} else {
		reply, err = c.Disconnect(ctx, opts.Addr)
	}
	if app.Global.JSON {
		out := wirelessResult{OK: err == nil, ExitCode: ExitCode(err), Command: command, Address: opts.Addr, Server: c.Addr(), Message: reply}
		if err != nil {
			out.Message = err.Error()
		}
		if werr := writeJSON(app.IO.Out, out); werr != nil {
			return werr
		}
		if err != nil {
			return &reportedError{err: err, code: out.ExitCode}
		}
		return nil
	}
	if err != nil {
		return err
	}
	app.IO.Printf("%s\n", reply)
	if command == "connect" {
		app.IO.Errorf("Next: miacct -s %s doctor\n", adb.WirelessSerial(opts.Addr))
	}
	return nil
}

// connectedSerials lists the serials of devices the server reached over
// the network (HOST:PORT), for completing disconnect's argument.
func connectedSerials(list []adb.DeviceInfo) []string {
	var out []string
	for _, d := range list {
		if strings.Contains(d.Serial, ":") {
			out = append(out, d.Serial)
		}
	}
	return out
}
