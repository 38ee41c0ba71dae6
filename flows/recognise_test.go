package flows_test

import (
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/miacct/miacct/adb/fake/fixture"
	"github.com/miacct/miacct/fixtures"
	"github.com/miacct/miacct/flows"
	"github.com/miacct/miacct/flows/texts"
)

// Every screen of every built-in phone is recognised as the screen its
// name (or is:) says: the fixtures and the recogniser cannot drift apart.
// The phones come from the loader, so a new one is checked too.
func TestEveryFixtureScreenIsRecognised(t *testing.T) {
	for _, name := range builtInPhones(t) {
		fx, err := fixture.Loader{Builtin: fixtures.FS()}.Load(name)
		require.NoError(t, err, name)
		var catalog *texts.Catalog
		if name == "miui14-hi" {
			// No Hindi file ships: the phone is read with the words a
			// user would give (TestPhoneWithoutWordsStopsCleanly...).
			catalog = hindi(t)
		}
		misread, err := flows.CheckFixtureScreens(fx, catalog)
		require.NoError(t, err)
		for _, m := range misread {
			t.Errorf("%s: %s", name, m)
		}
	}
}

func hindi(t *testing.T) *texts.Catalog {
	t.Helper()
	builtin, err := texts.Builtin()
	require.NoError(t, err)
	data, err := os.ReadFile("testdata/hi.yaml")
	require.NoError(t, err)
	c, err := builtin.With("testdata/hi.yaml", data)
	require.NoError(t, err)
	return c
}

// The check can fail: a screen named for one dialog but showing another.
func TestCheckFixtureScreensFindsAMisnamedScreen(t *testing.T) {
	fx, err := fixture.Loader{Builtin: fixtures.FS()}.Load("miui14-en")
	require.NoError(t, err)
	fx.Dumps["data-dialog"], fx.Dumps["find-device-dialog"] = fx.Dumps["find-device-dialog"], fx.Dumps["data-dialog"]
	misread, err := flows.CheckFixtureScreens(fx, nil)
	require.NoError(t, err)
	assert.Len(t, misread, 2)
}
