//go:build unix

package record

import "syscall"

// syscallNoFollow makes opening calls.log fail on a link planted in
// its place, instead of writing where the link points.
const syscallNoFollow = syscall.O_NOFOLLOW
