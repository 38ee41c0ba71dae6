package main

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/miacct/miacct/adb"
	"github.com/miacct/miacct/flows"
)

// DevicesOptions are the options of `miacct devices`.
type DevicesOptions struct {
	App *App
	All bool // accepted for symmetry: devices always lists every phone
}

// deviceRow is one device as `devices` shows it.
type deviceRow struct {
	Name      string  `json:"name"` // the serial, or HOST:PORT/SERIAL with several servers
	Serial    string  `json:"serial"`
	State     string  `json:"state"`
	Brand     string  `json:"brand,omitempty"`
	Model     string  `json:"model"`
	ModelCode string  `json:"model_code,omitempty"`
	OS        string  `json:"os"`
	Android   string  `json:"android"`
	Account   *string `json:"account"` // masked id; null when none
	Server    string  `json:"server,omitempty"`
	Error     string  `json:"error,omitempty"`
}

func newDevicesCmd(app *App) *cobra.Command {
	opts := &DevicesOptions{App: app}
	cmd := &cobra.Command{
		Use:   "devices",
		Short: "List connected phones with their OS and Xiaomi Account",
		Example: `  miacct devices
  miacct --fake miui14-en devices --json
  miacct --adb hub1:5037 --adb hub2:5037 devices`,
		Args: requireNoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runDevices(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVar(&opts.All, "all", false, "every phone of every --adb server (devices always lists them all)")
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
			rows = append(rows, deviceRow{Name: deviceName(d, len(clients) > 1), Serial: d.Serial, State: string(d.State), Model: d.Model, Server: d.Server})
			owners = append(owners, c)
		}
	}
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8) // phones answer slowly; ask a few at once
	for i := range rows {
		if rows[i].State != string(adb.StateDevice) {
			continue
		}
		wg.Add(1)
		go func(row *deviceRow, c *adb.Client) {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			describeDevice(ctx, app, c, row)
		}(&rows[i], owners[i])
	}
	wg.Wait()
	if rows == nil {
		rows = []deviceRow{}
	}
	if app.Global.JSON {
		enc := json.NewEncoder(app.IO.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(rows)
	}
	if len(rows) == 0 {
		app.IO.Errorf("no devices connected to the ADB server at %s\n", joinAddrs(clients))
		return nil
	}
	tw := tabwriter.NewWriter(app.IO.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SERIAL\tSTATE\tPHONE\tOS\tANDROID\tXIAOMI ACCOUNT")
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
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.Name, r.State, dash(r.Model), dash(r.OS), dash(r.Android), account)
	}
	return tw.Flush()
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
	row.Brand, row.Model, row.ModelCode, row.OS, row.Android = phone.Brand, phone.Name, phone.Model, phone.OS, phone.Android
	id, err := flows.XiaomiAccount(ctx, dev)
	if err != nil {
		row.Error = err.Error()
		return
	}
	if id != "" {
		masked := flows.MaskID(id)
		row.Account = &masked
	}
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
