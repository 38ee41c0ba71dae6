//go:build !unix

package record

// syscallNoFollow: the system has no O_NOFOLLOW; the directory was
// checked empty before the recording began.
const syscallNoFollow = 0
