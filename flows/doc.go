// Package flows knows Xiaomi phones: their screens and the steps a person
// follows to take a Xiaomi Account off one (open Settings, open the
// account screen, Sign out, remove the synced data, type the password,
// restart) and, if asked, to delete the account on Xiaomi's site in the
// phone's browser.
//
// Knowledge of phones is data: screens.yaml declares every screen by the
// ids, apps and structure it is recognised by (words second), with the
// evidence for each; texts/*.yaml hold the words per language. The step
// table (steps.go) declares each step once; a Session drives one phone
// through a Job, answering whatever the phone shows on the way to each
// step's goal, so dialogs may come in any order.
//
// Open a Session on an adb.Device, Inspect the phone (read-only), then Run
// a Job; Diagnose is the doctor's read-only check.
package flows
