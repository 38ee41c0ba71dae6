package phone

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/miacct/miacct/adb/androidcmd"
	"github.com/miacct/miacct/adb/fake/fixture"
	"github.com/miacct/miacct/adb/hierarchy"
)

// The display's state machine: the current screen, what each screen's
// fields hold, and the fixture's transitions between screens.

// uiState is what the display shows and what it remembers.
type uiState struct {
	screen string
	states map[string]*screenState
	// prev is the hierarchy displayed before the current screen; Settle
	// dumps still show it, and every reading until the current screen
	// appears (Draw). prevScreen names the screen it belongs to.
	prev       *hierarchy.Hierarchy
	prevScreen string
	// appearsAt is when the current screen appears on the phone's clock
	// (its Draw after the switch); before that the previous one shows.
	appearsAt  time.Duration
	settleLeft int
	idleLeft   int
	// shown counts the dumps that showed the current screen (for After).
	shown int
	// slowDump: the next dump follows an `am start` (Faults.SlowFirstDump).
	slowDump bool
	// catchingUp guards catchUpLocked against itself.
	catchingUp bool
}

// screenState is the dynamic state of one screen: focus and field texts,
// keyed by node path ("0.2.1": root index, then child indices).
type screenState struct {
	focus    string
	focusSet bool // focus was moved by a tap; else the dump's own focus holds
	fields   map[string]string
}

func (u *uiState) reset(start string) {
	*u = uiState{screen: start, states: map[string]*screenState{}}
}

func (u *uiState) state(screen string) *screenState {
	st := u.states[screen]
	if st == nil {
		st = &screenState{fields: map[string]string{}}
		u.states[screen] = st
	}
	return st
}

// actionResult collects what an action did to the command running it.
type actionResult struct {
	sleep time.Duration // real time owed (Realtime > 0)
}

// nodePath is n's position in its hierarchy.
func nodePath(h *hierarchy.Hierarchy, n *hierarchy.Node) string {
	var idx []int
	for c := n; c != nil; c = c.Parent {
		siblings := h.Roots
		if c.Parent != nil {
			siblings = c.Parent.Children
		}
		idx = append(idx, slices.Index(siblings, c))
	}
	slices.Reverse(idx)
	parts := make([]string, len(idx))
	for i, v := range idx {
		parts[i] = strconv.Itoa(v)
	}
	return strings.Join(parts, ".")
}

// walkPaths calls fn for every node of h with its path.
func walkPaths(h *hierarchy.Hierarchy, fn func(n *hierarchy.Node, path string)) {
	var visit func(n *hierarchy.Node, path string)
	visit = func(n *hierarchy.Node, path string) {
		fn(n, path)
		for i, c := range n.Children {
			visit(c, path+"."+strconv.Itoa(i))
		}
	}
	for i, r := range h.Roots {
		visit(r, strconv.Itoa(i))
	}
}

// isField reports whether n takes typed text.
func isField(n *hierarchy.Node) bool {
	cls := n.Class
	return strings.HasSuffix(cls, "EditText") || strings.HasSuffix(cls, "AutoCompleteTextView")
}

// passwordMask is how a password field shows its text in a dump.
const passwordMask = "•"

// renderLocked is screen name as a dump shows it now: the fixture's dump
// with focus and typed texts applied (password fields show bullets).
func (p *Phone) renderLocked(name string) *hierarchy.Hierarchy {
	base := p.dumps[name]
	if base == nil {
		return &hierarchy.Hierarchy{}
	}
	h := base.Clone()
	st := p.ui.states[name]
	if st == nil {
		return h
	}
	walkPaths(h, func(n *hierarchy.Node, path string) {
		if st.focusSet {
			n.Focused = path == st.focus
		}
		if text := st.fields[path]; text != "" {
			if n.Password {
				n.Text = strings.Repeat(passwordMask, len([]rune(text)))
			} else {
				n.Text = text
			}
		}
	})
	return h
}

// shownLocked is the screen actions land on: the lock screen while
// Locked (when the fixture names one), else the current screen.
func (p *Phone) shownLocked() string {
	if p.locked && p.cfg.lockScreen != "" {
		return p.cfg.lockScreen
	}
	return p.ui.screen
}

// displayedLocked is the hierarchy on the display now, ignoring the dump
// faults: the previous screen while the current one settles or has not
// appeared yet.
func (p *Phone) displayedLocked() *hierarchy.Hierarchy {
	if p.locked && p.cfg.lockScreen != "" {
		return p.renderLocked(p.cfg.lockScreen)
	}
	if (p.ui.settleLeft > 0 || !p.appearedLocked()) && p.ui.prev != nil {
		return p.ui.prev
	}
	return p.renderLocked(p.ui.screen)
}

// appearedLocked reports whether the current screen has appeared (its
// Draw time has passed).
func (p *Phone) appearedLocked() bool { return p.now >= p.ui.appearsAt }

// displayedScreenLocked names the screen whose window has the focus now:
// the previous one until the current one appears.
func (p *Phone) displayedScreenLocked() string {
	if !p.appearedLocked() && p.ui.prevScreen != "" {
		return p.ui.prevScreen
	}
	return p.ui.screen
}

// switchLocked shows screen to, fresh (no focus moved, fields empty),
// after the fixture's transition time, which the action that caused it
// spends.
func (p *Phone) switchLocked(to, why string, res *actionResult) {
	from := p.ui.screen
	p.showLocked(to, p.now+p.cfg.latency.Transition)
	res.sleep += p.advanceLocked(p.cfg.latency.Transition)
	p.logf("screen %s -> %s (%s)", from, to, why)
}

// showLocked makes to the current screen as of at: it appears its Draw
// time later.
func (p *Phone) showLocked(to string, at time.Duration) {
	if !p.locked || p.cfg.lockScreen == "" {
		p.ui.prev = p.displayedLocked()
		p.ui.prevScreen = p.displayedScreenLocked()
	}
	p.ui.screen = to
	delete(p.ui.states, to)
	p.ui.settleLeft, p.ui.idleLeft, p.ui.shown = 0, 0, 0
	p.ui.appearsAt = at
	if sc := p.fx.Screens[to]; sc != nil {
		p.ui.settleLeft, p.ui.idleLeft = sc.Settle, sc.IdleErrors
		p.ui.appearsAt += sc.Draw
	}
}

// catchUpLocked makes the moves of screens that move on by themselves
// after a time (After.Time) that came due by now, each at the moment it
// was due: a progress message lasts as long as its work, whether anyone
// looks or not.
func (p *Phone) catchUpLocked() {
	if p.ui.catchingUp {
		return
	}
	p.ui.catchingUp = true
	defer func() { p.ui.catchingUp = false }()
	for range 64 { // bounded: a cycle of timed screens cannot spin forever
		sc := p.fx.Screens[p.ui.screen]
		if sc == nil || sc.After == nil || sc.After.Time <= 0 || p.locked {
			return
		}
		due := p.ui.appearsAt + sc.After.Time
		if p.now < due {
			return
		}
		from := p.ui.screen
		p.showLocked(sc.After.Goto, due)
		p.logf("screen %s -> %s (after %s)", from, sc.After.Goto, sc.After.Time)
		p.effectsLocked(nil, sc.After.Effects, "after "+sc.After.Time.String())
	}
}

// shownOnceLocked counts a dump that showed the current screen and makes
// the screen's own move (After) when it is due.
func (p *Phone) shownOnceLocked(res *actionResult) {
	p.ui.shown++
	sc := p.fx.Screens[p.ui.screen]
	if sc == nil || sc.After == nil || sc.After.Dumps < 1 || p.ui.shown < sc.After.Dumps {
		return
	}
	// After's effects need no session (the loader allows no reboot,
	// disconnect or hang there).
	t := fixture.Transition{Goto: sc.After.Goto, Effects: sc.After.Effects}
	p.takeLocked(nil, t, p.ui.screen, fmt.Sprintf("after %d dumps", p.ui.shown), res)
}

// focusedFieldLocked is the path of the field typed text goes to on
// screen name: the tapped field, else the dump's focused field.
func (p *Phone) focusedFieldLocked(name string) (string, bool) {
	base := p.dumps[name]
	if base == nil {
		return "", false
	}
	st := p.ui.states[name]
	found, ok := "", false
	walkPaths(base, func(n *hierarchy.Node, path string) {
		if ok {
			return
		}
		focused := n.Focused
		if st != nil && st.focusSet {
			focused = path == st.focus
		}
		if focused && isField(n) {
			found, ok = path, true
		}
	})
	return found, ok
}

// fieldTextLocked is what was typed into the field at path on name.
func (p *Phone) fieldTextLocked(name, path string) string {
	if st := p.ui.states[name]; st != nil {
		return st.fields[path]
	}
	return ""
}

// passwordTextLocked is the text of name's password field (the first
// password field, else the focused field).
func (p *Phone) passwordTextLocked(name string) string {
	if base := p.dumps[name]; base != nil {
		found, ok := "", false
		walkPaths(base, func(n *hierarchy.Node, path string) {
			if !ok && n.Password && isField(n) {
				found, ok = path, true
			}
		})
		if ok {
			return p.fieldTextLocked(name, found)
		}
	}
	if path, ok := p.focusedFieldLocked(name); ok {
		return p.fieldTextLocked(name, path)
	}
	return ""
}

// codeTextLocked is the text of name's focused field, else its first
// field (the verification code).
func (p *Phone) codeTextLocked(name string) string {
	if path, ok := p.focusedFieldLocked(name); ok {
		return p.fieldTextLocked(name, path)
	}
	if base := p.dumps[name]; base != nil {
		found, ok := "", false
		walkPaths(base, func(n *hierarchy.Node, path string) {
			if !ok && isField(n) {
				found, ok = path, true
			}
		})
		if ok {
			return p.fieldTextLocked(name, found)
		}
	}
	return ""
}

// holdsLocked reports whether cond holds on screen name.
func (p *Phone) holdsLocked(cond fixture.Condition, name string) bool {
	switch cond {
	case fixture.PasswordCorrect, fixture.PasswordWrong:
		if p.fx.Password == nil {
			// A recording: no password to check, the recorded outcome happens.
			return cond == fixture.PasswordCorrect
		}
		sum := sha256.Sum256([]byte(p.passwordTextLocked(name)))
		correct := strings.EqualFold(hex.EncodeToString(sum[:]), strings.TrimSpace(p.fx.Password.SHA256))
		return correct == (cond == fixture.PasswordCorrect)
	case fixture.CodeCorrect, fixture.CodeWrong:
		if p.fx.Web == nil || p.fx.Web.Code == "" {
			return cond == fixture.CodeCorrect
		}
		correct := p.codeTextLocked(name) == p.fx.Web.Code
		return correct == (cond == fixture.CodeCorrect)
	case fixture.SignedIn:
		return p.signedInLocked()
	case fixture.SignedOut:
		return !p.signedInLocked()
	case fixture.WebSignedIn:
		return p.web.signedIn
	case fixture.WebSignedOut:
		return !p.web.signedIn
	}
	p.logf("unknown condition %q never holds", cond)
	return false
}

// fireLocked takes the first transition of screen name that fires for
// action a (described as what in logs); false when none does.
func (p *Phone) fireLocked(s *session, name string, a fixture.Action, what string, res *actionResult) bool {
	t, ok := p.fx.Screens[name].Fire(a, func(c fixture.Condition) bool { return p.holdsLocked(c, name) })
	if ok {
		p.takeLocked(s, t, name, what, res)
	}
	return ok
}

// takeLocked performs transition t, found on screen name for action.
func (p *Phone) takeLocked(s *session, t fixture.Transition, name, action string, res *actionResult) {
	if t.Goto != "" {
		if name != p.ui.screen {
			// The lock screen cannot be passed: its transitions may have
			// effects but never reveal another screen.
			p.logf("%s on lock screen %s: goto %s ignored", action, name, t.Goto)
		} else {
			p.switchLocked(t.Goto, action, res)
		}
	} else {
		p.logf("%s on %s", action, name)
	}
	p.effectsLocked(s, t.Effects, action)
}

// effectsLocked makes a transition's effects (s is nil for a screen's
// own move, which cannot reboot, disconnect or hang).
func (p *Phone) effectsLocked(s *session, effects []fixture.Effect, action string) {
	for _, e := range effects {
		switch e {
		case fixture.RemoveAccount:
			p.accounts = slices.DeleteFunc(p.accounts, fixture.Account.Xiaomi)
			if p.findDevice == fixture.FindDeviceOn {
				p.findDevice = fixture.FindDeviceOff // signing out turns it off
			}
			p.logf("effect: Xiaomi account removed")
		case fixture.RemoveData:
			p.dataChoice = "remove"
			p.logf("effect: synced data removed")
		case fixture.KeepData:
			p.dataChoice = "keep"
			p.logf("effect: synced data kept")
		case fixture.Reboot:
			p.rebootLocked("effect of " + action)
			s.setStop(errReboot)
		case fixture.Disconnect:
			p.disconnectLocked()
			s.setStop(errDisconnect)
		case fixture.Hang:
			p.logf("effect: the command hangs")
			s.setStop(errHang)
		case fixture.WebSignIn, fixture.WebSignOut, fixture.DeleteAccount:
			p.webEffectLocked(e)
		default:
			p.logf("unknown effect %q ignored", e)
		}
	}
}

// describe names a node for logs without a field's typed text.
func describe(n *hierarchy.Node) string {
	if isField(n) {
		c := *n
		c.Text = ""
		return c.Describe()
	}
	return n.Describe()
}

// tapLocked is a finger tap at x, y.
func (p *Phone) tapLocked(s *session, x, y int, res *actionResult) {
	if !p.awake {
		p.logf("tap at %d,%d ignored: display asleep", x, y)
		return
	}
	name := p.shownLocked()
	h := p.renderLocked(name)
	hit := h.At(x, y)
	if hit == nil {
		p.unrecordedLocked(fmt.Sprintf("unrecorded tap at %d,%d on nothing (screen %s)", x, y, name))
		return
	}
	target := hit.ClickTarget()
	focused := false
	for _, n := range []*hierarchy.Node{hit, target} {
		if isField(n) && n.Enabled {
			st := p.ui.state(name)
			st.focus, st.focusSet = nodePath(h, n), true
			focused = true
			break
		}
	}
	action := "tap on " + describe(target)
	if p.fireLocked(s, name, fixture.TapOn(target), action, res) {
		return
	}
	if focused {
		p.logf("%s: field focused", action)
		return
	}
	p.unrecordedLocked(fmt.Sprintf("unrecorded tap at %d,%d on %s", x, y, describe(target)))
}

// swipeLocked is a finger swipe from x1,y1 to x2,y2.
func (p *Phone) swipeLocked(s *session, x1, y1, x2, y2 int, res *actionResult) {
	if !p.awake {
		p.logf("swipe ignored: display asleep")
		return
	}
	dir, moved := fixture.SwipeDirection(x1, y1, x2, y2)
	if !moved {
		p.tapLocked(s, x1, y1, res) // a swipe that does not move presses
		return
	}
	name := p.shownLocked()
	if p.fireLocked(s, name, fixture.SwipeTo(dir), "swipe "+string(dir), res) {
		return
	}
	p.unrecordedLocked(fmt.Sprintf("unrecorded swipe %s on %s", dir, name))
}

// keyLocked is one key event.
func (p *Phone) keyLocked(s *session, code int, res *actionResult) {
	name := p.shownLocked()
	switch code {
	case keyUnknown:
		return
	case keyWakeup:
		if !p.awake {
			p.logf("display woken")
		}
		p.awake = true
	case keySleep:
		p.awake = false
		p.logf("display asleep")
	case keyPower:
		p.awake = !p.awake
		p.logf("power key: display awake=%t", p.awake)
	default:
		if !p.awake {
			p.logf("key %s ignored: display asleep", keyName(code))
			return
		}
	}
	if p.fireLocked(s, name, fixture.KeyPress(code), "key "+keyName(code), res) {
		return
	}
	switch code {
	case keyWakeup, keySleep, keyPower:
		return
	case keyDel:
		if path, ok := p.focusedFieldLocked(name); ok {
			st := p.ui.state(name)
			if r := []rune(st.fields[path]); len(r) > 0 {
				st.fields[path] = string(r[:len(r)-1])
			}
			return
		}
	}
	if ch, ok := androidcmd.KeyChar(code); ok {
		p.typeLocked(s, string(ch), res)
		return
	}
	p.unrecordedLocked(fmt.Sprintf("unrecorded key %s on %s", keyName(code), name))
}

// typeLocked types text (already processed by `input text`) into the
// focused field and takes a text transition.
func (p *Phone) typeLocked(s *session, text string, res *actionResult) {
	if !p.awake {
		p.logf("typed text ignored: display asleep")
		return
	}
	p.typed.WriteString(text)
	name := p.shownLocked()
	path, ok := p.focusedFieldLocked(name)
	if !ok {
		p.unrecordedLocked(fmt.Sprintf("unrecorded typed text on %s: no focused field", name))
		return
	}
	st := p.ui.state(name)
	st.fields[path] += text
	p.fireLocked(s, name, fixture.Typing(), "text", res)
}
