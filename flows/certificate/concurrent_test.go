package certificate

import (
	"sync"
	"testing"
)

// TestWriteConcurrently: a fleet writes its phones' certificates at the
// same time; the PDF library must not share state between them (run with
// -race).
func TestWriteConcurrently(t *testing.T) {
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			dir := t.TempDir()
			if err := Write(dir, sampleRemove(t, dir), WriteOptions{}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
}
