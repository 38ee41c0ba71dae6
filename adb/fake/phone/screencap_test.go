package phone

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
	"image/png"
	"testing"
)

func screencapPNG(t testing.TB, p *Phone) image.Image {
	t.Helper()
	out, err := serve(t, p, "exec:screencap -p")
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader([]byte(out)))
	if err != nil {
		t.Fatalf("screencap -p is not a PNG: %v", err)
	}
	return img
}

func sameColor(a, b color.Color) bool {
	r1, g1, b1, a1 := a.RGBA()
	r2, g2, b2, a2 := b.RGBA()
	return r1 == r2 && g1 == g2 && b1 == b2 && a1 == a2
}

func TestScreencapPNG(t *testing.T) {
	p := newTestPhone(t)
	img := screencapPNG(t, p)
	if b := img.Bounds(); b.Dx() != 1080 || b.Dy() != 2400 {
		t.Fatalf("screencap size %v, want the display's 1080x2400", b)
	}
	// The clickable "Settings" icon [100,1800][300,2000] is filled; the
	// empty screen around it is background.
	if !sameColor(img.At(110, 1810), screenPalette[colClickable]) {
		t.Errorf("inside a clickable node: %v", img.At(110, 1810))
	}
	if !sameColor(img.At(540, 1000), screenPalette[colBackground]) {
		t.Errorf("empty screen: %v", img.At(540, 1000))
	}
	if !sameColor(img.At(100, 1900), screenPalette[colOutline]) {
		t.Errorf("a node's edge is not outlined: %v", img.At(100, 1900))
	}
	// Its text is drawn in the node.
	text := 0
	for y := 1800; y < 2000; y++ {
		for x := 100; x < 300; x++ {
			if sameColor(img.At(x, y), screenPalette[colText]) {
				text++
			}
		}
	}
	if text < 20 {
		t.Errorf("only %d text pixels in the Settings icon", text)
	}
	if c := p.Counters(); c.Screencaps != 1 {
		t.Errorf("Screencaps = %d", c.Screencaps)
	}
}

func TestScreencapFocusAndPassword(t *testing.T) {
	p := newTestPhone(t)
	goToPassword(t, p)
	sh(t, p, "input text secret")
	img := screencapPNG(t, p)
	// The focused password field [60,1500][1020,1650] has a focus outline
	// and five bullets where its text starts.
	if !sameColor(img.At(62, 1575), screenPalette[colFocus]) {
		t.Errorf("focused field edge: %v", img.At(62, 1575))
	}
	bullets := 0
	for x := 72; x < 72+5*7; x++ {
		if sameColor(img.At(x, 1575+(13-2)/2-4), screenPalette[colText]) {
			bullets++
		}
	}
	if bullets != 5*5 {
		t.Errorf("%d bullet pixels on the bullet row, want 25", bullets)
	}
}

func TestScreencapRawFileAndAsleep(t *testing.T) {
	p := newTestPhone(t)
	out := sh(t, p, "screencap /sdcard/s.raw && screencap /sdcard/s.png && echo ok")
	if out != "ok\n" {
		t.Fatalf("screencap to files: %q", out)
	}
	raw, err := p.fsys.ReadFile("/sdcard/s.raw")
	if err != nil {
		t.Fatal(err)
	}
	w, h, format := binary.LittleEndian.Uint32(raw[0:]), binary.LittleEndian.Uint32(raw[4:]), binary.LittleEndian.Uint32(raw[8:])
	if w != 1080 || h != 2400 || format != 1 || len(raw) != 16+4*1080*2400 {
		t.Errorf("raw screencap header %dx%d format %d, %d bytes", w, h, format, len(raw))
	}
	data, err := p.fsys.ReadFile("/sdcard/s.png")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := png.Decode(bytes.NewReader(data)); err != nil {
		t.Errorf("screencap FILE.png is not a PNG: %v", err)
	}
	sh(t, p, "input keyevent POWER")
	img := screencapPNG(t, p)
	if !sameColor(img.At(540, 1200), screenPalette[colOff]) {
		t.Errorf("screen off but screencap shows %v", img.At(540, 1200))
	}
}

func BenchmarkScreencap(b *testing.B) {
	p := newTestPhone(b)
	for b.Loop() {
		sh(b, p, "screencap -p")
	}
}
