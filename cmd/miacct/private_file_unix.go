//go:build !windows

package main

import "io/fs"

// fileReadersProblem reads who can read a file from its mode bits, which
// every Unix file system keeps (or shows as the mount gives them).
func fileReadersProblem(_ string, st fs.FileInfo) (problem, warning string) {
	return modeProblem(st.Mode()), ""
}
