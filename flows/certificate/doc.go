// Package certificate writes and checks the proof a shop files per phone.
package certificate
