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
}

// deviceRow is one device as `devices` shows it.
type deviceRow struct {
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
	return &cobra.Command{
		Use:   "devices",
		Short: "List connected phones with their OS and Xiaomi Account",
		Example: `  miacct devices
  miacct --fake miui14-en devices --json`,
		Args: requireNoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runDevices(cmd.Context(), opts)
		},
	}
}

func runDevices(ctx context.Context, opts *DevicesOptions) error {
	app := opts.App
	c, err := app.client(ctx)
	if err != nil {
		return err
	}
	list, err := c.Devices(ctx)
	if err != nil {
		return err
	}
	rows := make([]deviceRow, len(list))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8) // phones answer slowly; ask a few at once
	for i, d := range list {
		rows[i] = deviceRow{Serial: d.Serial, State: string(d.State), Model: d.Model, Server: d.Server}
		if d.State != adb.StateDevice {
			continue
		}
		wg.Add(1)
		go func(row *deviceRow) {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			describeDevice(ctx, app, c, row)
		}(&rows[i])
	}
	wg.Wait()
	if app.Global.JSON {
		enc := json.NewEncoder(app.IO.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(rows)
	}
	if len(rows) == 0 {
		app.IO.Errorf("no devices connected to the ADB server at %s\n", c.Addr())
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
		phone := r.Model
		if r.Brand != "" && r.Brand != r.Model {
			phone = r.Model
		}
		if r.Error != "" {
			account = "? (" + r.Error + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.Serial, r.State, dash(phone), dash(r.OS), dash(r.Android), account)
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
