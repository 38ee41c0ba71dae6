package main

import "reflect"

// shopCommandDocs documents the shop commands for --help (merged into
// commandDocs).
func shopCommandDocs() map[string]commandDoc {
	audit := jsonShape(reflect.TypeFor[auditResult]())
	return map[string]commandDoc{
		"audit": {
			exits: []int{ExitOK, ExitError, ExitUsage, ExitNoDevice, ExitNotReady, ExitTimeout, ExitInterrupted},
			notes: map[int]string{
				ExitOK:       "clear to resell",
				ExitNotReady: "not clear to resell (a FAIL line says why), or the phone could not be audited",
			},
			exitsNote: "With --all: the worst phone's code.",
			json:      audit + "\nWith --all: " + jsonShape(reflect.TypeFor[auditAllResult](), briefType{reflect.TypeFor[auditResult](), "as above, with \"name\", \"server\""}),
		},
		"report verify": {
			exits: []int{ExitOK, ExitError, ExitUsage, ExitNotVerified},
			notes: map[int]string{
				ExitOK:          "every file is as written (and signed by --key)",
				ExitUsage:       "DIR is not a certificate folder, or --key is not an ed25519 public key",
				ExitNotVerified: "a file is missing, changed or added, or the signature is bad or by another key",
			},
			json: jsonShape(reflect.TypeFor[verifyResult]()),
		},
		"watch": {
			exits: []int{ExitOK, ExitError, ExitUsage, ExitNoDevice},
			notes: map[int]string{
				ExitOK:       "stopped with Ctrl-C (each phone's result is in its run_finished event and its certificate)",
				ExitNoDevice: "an ADB server could not be reached or stopped answering",
			},
			json: "one JSON line per event, as --events writes them (see README, \"For shops\")",
		},
	}
}
