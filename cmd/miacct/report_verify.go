package main

import (
	"crypto/ed25519"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/miacct/miacct/flows/certificate"
)

// ReportVerifyOptions are the options of `miacct report verify`.
type ReportVerifyOptions struct {
	App *App
	Dir string
	Key string // --key PUB: the shop's public key (PEM)
}

func newReportCmd(app *App) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "report",
		Short: "Work with the proof certificates --report writes",
	}
	cmd.AddCommand(newReportVerifyCmd(app))
	return cmd
}

func newReportVerifyCmd(app *App) *cobra.Command {
	opts := &ReportVerifyOptions{App: app}
	cmd := &cobra.Command{
		Use:   "verify DIR",
		Short: "Check a certificate folder: every file's hash, and its signature",
		Long: `verify checks the certificate folder a run wrote with --report DIR: that
every file manifest.json lists is there with its SHA-256 and size, that
no file was added, that certificate.json agrees with the manifest, and,
when the folder is signed (signature.json), that the signature of
manifest.json is valid. With --key PUB it also requires the signature to
be by that key (the shop's public key, openssl pkey -in key.pem -pubout);
without it, it prints the fingerprint of the key that signed, to compare
with the one on the printed certificate.

Exit 0: the folder is exactly as written (and signed by --key).
Exit 8: it is not; each finding is printed.`,
		Example: `  miacct report verify ./report
  miacct report verify ./report --key shop-pub.pem
  miacct report verify ./audits/6d8f2a41 --json`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usagef("report verify takes the certificate folder: miacct report verify DIR")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Dir = args[0]
			return runReportVerify(opts)
		},
	}
	cmd.Flags().StringVar(&opts.Key, "key", "", "require a signature by this ed25519 public key `FILE` (PEM)")
	return cmd
}

// verifyResult is the JSON of report verify.
type verifyResult struct {
	Schema   int  `json:"schema"`
	OK       bool `json:"ok"`
	ExitCode int  `json:"exit_code"`
	*certificate.Verification
}

func runReportVerify(opts *ReportVerifyOptions) error {
	app := opts.App
	var vo certificate.VerifyOptions
	if opts.Key != "" {
		pub, err := certificate.LoadPublicKey(opts.Key)
		if err != nil {
			return &UsageError{Err: err}
		}
		vo.PublicKey = ed25519.PublicKey(pub)
	}
	v, err := certificate.Verify(opts.Dir, vo)
	if err != nil {
		return usagef("report verify %s: %v", opts.Dir, err)
	}
	out := verifyResult{Schema: 1, OK: v.OK(), Verification: v}
	if !v.OK() {
		out.ExitCode = ExitNotVerified
	}
	if app.Global.JSON {
		if err := writeJSON(app.IO.Out, out); err != nil {
			return err
		}
	} else {
		app.IO.Printf("%s", v.String())
	}
	if !v.OK() {
		return &reportedError{err: fmt.Errorf("%d finding(s)", len(v.Findings)), code: ExitNotVerified}
	}
	return nil
}
