package main

import "github.com/spf13/cobra"

// extendCommandTree adds to the command tree what shipping miacct needs:
// the version (miacct version, --version), connect and disconnect for
// wireless debugging, completions that know fixtures, steps, languages
// and serials, and each command's exit codes and --json shape at the end
// of its help. newRootCmd calls it once the commands are in place.
func extendCommandTree(root *cobra.Command, app *App) {
	info := currentVersion()
	root.Version = info.Version
	root.SetVersionTemplate(info.Text())
	root.AddCommand(newVersionCmd(app), newConnectCmd(app), newDisconnectCmd(app))
	registerCompletions(root, app)
	addHelpSections(root)
}
