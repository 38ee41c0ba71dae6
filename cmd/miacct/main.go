//go:build !gendocs

// Command miacct takes a Mi Account (Xiaomi Account) off a Xiaomi phone
// over ADB: it signs out, removes the synced data, restarts the phone and
// proves the account is gone.
package main

import (
	"os"
)

func main() {
	os.Exit(Main(SystemIO(), os.Args[1:]))
}
