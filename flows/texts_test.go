package flows

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestTextsForLocales(t *testing.T) {
	for locale, want := range map[string]string{"en-US": "en", "zh-CN": "zh", "zh-Hans-CN": "zh", "in-ID": "id", "id_ID": "id", "ru-RU": "ru", "es-419": "es"} {
		tx, ok := TextsFor(locale)
		assert.True(t, ok, locale)
		assert.Equal(t, want, tx.Lang, locale)
	}
	zh, _ := TextsFor("zh-CN")
	assert.Equal(t, "小米账号", zh.AccountRow[0], "own language first")
	assert.Contains(t, zh.AccountRow, "Xiaomi Account", "English candidates after it")
	_, ok := TextsFor("xx-YY")
	assert.False(t, ok)
}

// A phone with no known locale is read by every language's texts.
func TestAllTextsRecognisesEveryLanguage(t *testing.T) {
	all := AllTexts()
	for _, code := range Languages() {
		tx, _ := TextsFor(code)
		for _, want := range tx.SignOut {
			assert.Contains(t, all.SignOut, want, code)
		}
		for _, want := range tx.Remove {
			assert.Contains(t, all.Remove, want, code)
		}
	}
}
