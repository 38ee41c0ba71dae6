package flows_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/miacct/miacct/flows"
)

// codeFrom answers the code prompt and remembers where the code was said
// to have gone.
func codeFrom(code string, sentTo *string) func(context.Context, string) (flows.Secret, error) {
	return func(_ context.Context, to string) (flows.Secret, error) {
		*sentTo = to
		return flows.NewSecret(code), nil
	}
}

func TestDeleteAccount(t *testing.T) {
	for _, name := range []string{"miui14-en", "miui14-zh"} {
		t.Run(name, func(t *testing.T) {
			phone, dev := servePhone(t, name)
			var sentTo string
			s := openSession(t, dev, flows.Options{Password: flows.NewSecret(demoPassword), Code: codeFrom("482916", &sentTo)})
			_, err := s.Inspect(context.Background())
			require.NoError(t, err)
			res := s.Run(context.Background(), flows.Job{Flow: flows.FlowDeleteAccount})
			require.NoError(t, res.Err)
			require.Len(t, res.Steps, 7)
			for _, st := range res.Steps {
				assert.Equal(t, flows.StatusOK, st.Status, "%s: %s", st.Name, st.Message)
			}
			assert.True(t, phone.AccountDeleted(), "the site deleted the account")
			assert.Equal(t, "j***@example.com", sentTo, "the prompt names where the code went")
			assert.Equal(t, "1234567890"+demoPassword+"482916", phone.TypedText(), "account id, password and code typed exactly, once each")
			assert.Zero(t, phone.Reboots())
		})
	}
}

func TestRemoveThenDelete(t *testing.T) {
	phone, dev := servePhone(t, "miui14-en")
	var sentTo string
	s := openSession(t, dev, flows.Options{Password: flows.NewSecret(demoPassword), Code: codeFrom("482916", &sentTo)})
	res := s.Run(context.Background(), flows.Job{Flow: flows.FlowRemove, DeleteAccount: true})
	require.NoError(t, res.Err)
	require.Len(t, res.Steps, 14)
	for _, a := range phone.Accounts() {
		assert.NotEqual(t, "com.xiaomi", a.Type)
	}
	assert.True(t, phone.AccountDeleted())
	assert.Equal(t, 1, phone.Reboots())
}

func TestWrongCodeIsNotRetried(t *testing.T) {
	phone, dev := servePhone(t, "miui14-en")
	var sentTo string
	asked := 0
	code := func(ctx context.Context, to string) (flows.Secret, error) {
		asked++
		return codeFrom("111111", &sentTo)(ctx, to)
	}
	s := openSession(t, dev, flows.Options{Password: flows.NewSecret(demoPassword), Code: code})
	_, err := s.Inspect(context.Background())
	require.NoError(t, err)
	res := s.Run(context.Background(), flows.Job{Flow: flows.FlowDeleteAccount})
	require.ErrorIs(t, res.Err, flows.ErrWrongCode)
	assert.Equal(t, 1, asked)
	assert.Equal(t, flows.StepDelete, res.Resume)
	assert.False(t, phone.AccountDeleted())
}

func TestCaptchaNeedsAPerson(t *testing.T) {
	phone, dev := servePhone(t, "miui14-en-captcha")
	var sentTo string
	s := openSession(t, dev, flows.Options{Password: flows.NewSecret(demoPassword), Code: codeFrom("482916", &sentTo)})
	_, err := s.Inspect(context.Background())
	require.NoError(t, err)
	res := s.Run(context.Background(), flows.Job{Flow: flows.FlowDeleteAccount})
	require.ErrorIs(t, res.Err, flows.ErrNeedsHand)
	assert.Contains(t, res.Err.Error(), "captcha")
	assert.Empty(t, res.Resume)
	assert.Empty(t, sentTo, "never asked for a code")
	assert.False(t, phone.AccountDeleted())
}

func TestCheckCode(t *testing.T) {
	assert.NoError(t, flows.CheckCode("482916"))
	assert.NoError(t, flows.CheckCode("Ab12"))
	for _, bad := range []string{"", "12 34", "12;rm", "１２３", "12345678901234567"} {
		assert.ErrorIs(t, flows.CheckCode(bad), flows.ErrBadPassword, bad)
	}
}
