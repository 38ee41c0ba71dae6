package phone

import "github.com/miacct/miacct/adb/fake/fixture"

// The account web site as the phone's browser sees it: a session that
// sign-in pages open and close, and the account's deletion.

// webState is what the account site knows about this phone. It lives
// outside the UI state, so a reboot keeps it, as a browser keeps its
// cookies.
type webState struct {
	signedIn bool // the browser holds a session on the account site
	deleted  bool // the site accepted the request to delete the account
}

// webEffectLocked performs one of the web effects.
func (p *Phone) webEffectLocked(effect fixture.Effect) {
	switch effect {
	case fixture.WebSignIn:
		p.web.signedIn = true
		p.logf("effect: browser signed in to the account site")
	case fixture.WebSignOut:
		p.web.signedIn = false
		p.logf("effect: browser signed out of the account site")
	case fixture.DeleteAccount:
		p.web.deleted = true
		p.logf("effect: account deleted on the account site")
	}
}

// WebSignedIn reports whether the phone's browser holds a session on the
// account site.
func (p *Phone) WebSignedIn() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.web.signedIn
}

// AccountDeleted reports whether the account site accepted the request
// to delete the account (a delete-account effect happened).
func (p *Phone) AccountDeleted() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.web.deleted
}
