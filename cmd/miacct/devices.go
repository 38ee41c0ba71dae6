package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"

	"github.com/miacct/miacct/adb"
	"github.com/miacct/miacct/flows"
)

// DevicesOptions are the options of `miacct devices`.
type DevicesOptions struct {
	App *App
}

// deviceRow is one device as `devices --json` prints it.
type deviceRow struct {
	Schema int `json:"schema"`
	deviceJSON
	Error string `json:"error,omitempty"`
}

// describeParallel is how many phones devices asks at once: phones answer
// slowly, and a listing should not load a server more than a fleet run.
const describeParallel = 8

func newDevicesCmd(app *App) *cobra.Command {
	opts := &DevicesOptions{App: app}
	cmd := &cobra.Command{
		Use:   "devices",
		Short: "List connected phones with their OS and Xiaomi Account",
		Long: `devices lists every phone of every ADB server (--adb may be given several
times; devices are then named HOST:PORT/SERIAL) with its state, model, OS,
Android version and Xiaomi Account, masked.`,
		Example: `  miacct devices
  miacct --fake miui14-en devices --json
  miacct --adb hub1:5037 --adb hub2:5037 devices`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runDevices(cmd.Context(), opts)
		},
	}
	// devices always lists every phone; --all is taken, for scripts that
	// pass it to every command, but not shown.
	cmd.Flags().Bool("all", false, "every phone of every --adb server (devices always lists them all)")
	_ = cmd.Flags().MarkHidden("all")
	return cmd
}

func runDevices(ctx context.Context, opts *DevicesOptions) error {
	app := opts.App
	clients, err := app.clients(ctx)
	if err != nil {
		return err
	}
	var rows []deviceRow
	var owners []*adb.Client
	for _, c := range clients {
		list, err := c.Devices(ctx)
		if err != nil {
			return fmt.Errorf("list devices at %s: %w", c.Addr(), err)
		}
		for _, d := range list {
			rows = append(rows, deviceRow{Schema: schemaVersion, deviceJSON: deviceJSON{
				Name: deviceName(d, len(clients) > 1), Serial: d.Serial, State: string(d.State), ModelCode: d.Model, Server: d.Server}})
			owners = append(owners, c)
		}
	}
	var g errgroup.Group
	g.SetLimit(describeParallel)
	for i := range rows {
		if rows[i].State != string(adb.StateDevice) {
			continue
		}
		g.Go(func() error {
			describeDevice(ctx, app, owners[i], &rows[i])
			return nil
		})
	}
	_ = g.Wait()
	if rows == nil {
		rows = []deviceRow{}
	}
	if app.Global.JSON {
		return writeJSON(app.IO.Out, rows)
	}
	if len(rows) == 0 {
		app.IO.Errorf("no devices connected to the ADB server at %s\n", joinAddrs(clients))
		return nil
	}
	table := [][]string{{"SERIAL", "STATE", "PHONE", "OS", "ANDROID", "XIAOMI ACCOUNT"}}
	for _, r := range rows {
		account := "none"
		if r.Account != nil {
			account = *r.Account
		}
		if r.State != string(adb.StateDevice) {
			account = "-"
		}
		if r.Error != "" {
			account = "? (" + r.Error + ")"
		}
		table = append(table, []string{r.Name, r.State, dash(r.Model), dash(r.OS), dash(r.Android), account})
	}
	for _, line := range fitTable(table, 5, app.IO.TerminalWidth()) {
		app.IO.Printf("%s\n", line)
	}
	return nil
}

func describeDevice(ctx context.Context, app *App, c *adb.Client, row *deviceRow) {
	dev, err := c.Device(ctx, row.Serial)
	if err == nil {
		dev, err = app.wrapDevice(dev)
	}
	if err != nil {
		row.Error = err.Error()
		return
	}
	phone, _, err := flows.IdentifyPhone(ctx, dev)
	if err != nil {
		row.Error = err.Error()
		return
	}
	d := newDeviceJSON(phone, "", false)
	row.Brand, row.Model, row.ModelCode, row.OS, row.Android = d.Brand, d.Model, d.ModelCode, d.OS, d.Android
	id, err := flows.XiaomiAccount(ctx, dev)
	if err != nil {
		row.Error = err.Error()
		return
	}
	row.setAccount(id, false)
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
