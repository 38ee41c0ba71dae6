package phone

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"strings"
	"time"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"

	"github.com/miacct/miacct/adb/fake"
	"github.com/miacct/miacct/adb/hierarchy"
)

// screencap draws the displayed hierarchy at the display's full size:
// a light background, a rectangle per node (clickable ones filled,
// focused ones outlined), and the nodes' texts in a small bitmap font.

// Palette indexes of the screenshot.
const (
	colBackground = iota
	colOutline
	colClickable
	colFocus
	colText
	colOff
)

var screenPalette = color.Palette{
	colBackground: color.RGBA{0xf7, 0xf7, 0xf7, 0xff},
	colOutline:    color.RGBA{0xc4, 0xc4, 0xc4, 0xff},
	colClickable:  color.RGBA{0xdc, 0xe8, 0xfc, 0xff},
	colFocus:      color.RGBA{0x1a, 0x73, 0xe8, 0xff},
	colText:       color.RGBA{0x20, 0x21, 0x24, 0xff},
	colOff:        color.RGBA{0x00, 0x00, 0x00, 0xff},
}

// screencap [-p] [-d DISPLAY] [FILE]: a PNG with -p or a .png FILE, else
// the raw format (a 16-byte header, then RGBA pixels).
func (c *call) screencap() int {
	asPNG := false
	file := ""
	args := c.args[1:]
	for i := 0; i < len(args); i++ {
		switch a := args[i]; a {
		case "-p":
			asPNG = true
		case "-d":
			i++
		case "-h":
			c.errorf("usage: screencap [-hp] [-d display-id] [FILENAME]\n   -h: this message\n   -p: save the file as a png.\n   -d: specify the physical display ID to capture\nIf FILENAME ends with .png it will be saved as a png.\nIf FILENAME is not given, the results will be printed to stdout.\n")
			return 1
		default:
			file = a
		}
	}
	if strings.HasSuffix(file, ".png") {
		asPNG = true
	}
	p := c.p
	p.mu.Lock()
	p.counters.Screencaps++
	c.owed += p.advanceLocked(p.cfg.latency.Screencap)
	var shown *hierarchy.Hierarchy
	if p.awake {
		shown = p.displayedLocked()
	}
	w, h := p.cfg.width, p.cfg.height
	p.mu.Unlock()
	p.logf("screencap")

	img := renderScreen(shown, w, h)
	var out []byte
	if asPNG {
		var buf bytes.Buffer
		enc := png.Encoder{CompressionLevel: png.BestSpeed}
		if err := enc.Encode(&buf, img); err != nil {
			c.errorf("Error: screencap: %v\n", err)
			return 1
		}
		out = buf.Bytes()
	} else {
		out = rawScreen(img)
	}
	if file == "" {
		_, _ = c.stdout.Write(out)
		return 0
	}
	path := c.abs(file)
	if err := checkWritable(path); err != nil {
		c.errorf("Error opening file: %s (%s)\n", file, fake.Strerror(err))
		return 1
	}
	if err := p.fsys.WriteFile(path, out, 0o660, time.Time{}); err != nil {
		c.errorf("Error opening file: %s (%s)\n", file, fake.Strerror(err))
		return 1
	}
	return 0
}

// renderScreen draws h (nil: the display is off) on a w x h image.
func renderScreen(hier *hierarchy.Hierarchy, w, h int) *image.Paletted {
	img := image.NewPaletted(image.Rect(0, 0, w, h), screenPalette)
	if hier == nil {
		draw.Draw(img, img.Rect, image.NewUniform(screenPalette[colOff]), image.Point{}, draw.Src)
		return img
	}
	// Index 0 is the background: a new image is already filled with it.
	hier.Walk(func(n *hierarchy.Node) bool {
		r := image.Rect(n.Bounds.Left, n.Bounds.Top, n.Bounds.Right, n.Bounds.Bottom).Intersect(img.Rect)
		if r.Empty() {
			return true
		}
		if n.Clickable {
			fill(img, r, colClickable)
		}
		stroke(img, r, 2, colOutline)
		if n.Focused {
			stroke(img, r, 6, colFocus)
		}
		drawText(img, r, n)
		return true
	})
	return img
}

var paletteUniforms = func() []*image.Uniform {
	u := make([]*image.Uniform, len(screenPalette))
	for i, c := range screenPalette {
		u[i] = image.NewUniform(c)
	}
	return u
}()

func fill(img *image.Paletted, r image.Rectangle, col int) {
	draw.Draw(img, r, paletteUniforms[col], image.Point{}, draw.Src)
}

// stroke outlines r inside its edges with a line of width t.
func stroke(img *image.Paletted, r image.Rectangle, t, col int) {
	t = min(t, r.Dx()/2, r.Dy()/2)
	if t <= 0 {
		fill(img, r, col)
		return
	}
	fill(img, image.Rect(r.Min.X, r.Min.Y, r.Max.X, r.Min.Y+t), col)
	fill(img, image.Rect(r.Min.X, r.Max.Y-t, r.Max.X, r.Max.Y), col)
	fill(img, image.Rect(r.Min.X, r.Min.Y, r.Min.X+t, r.Max.Y), col)
	fill(img, image.Rect(r.Max.X-t, r.Min.Y, r.Max.X, r.Max.Y), col)
}

// drawText writes n's text inside r, clipped to it: ASCII in a 7x13
// bitmap font, other characters as '?', password bullets as squares.
func drawText(img *image.Paletted, r image.Rectangle, n *hierarchy.Node) {
	if n.Text == "" {
		return
	}
	face := basicfont.Face7x13
	const pad = 12
	x := r.Min.X + pad
	baseline := (r.Min.Y+r.Max.Y)/2 + (face.Ascent-face.Descent)/2
	if x >= r.Max.X || baseline-face.Ascent < r.Min.Y-face.Height {
		return
	}
	clip, ok := img.SubImage(r).(*image.Paletted)
	if !ok {
		return
	}
	if n.Password {
		for range []rune(n.Text) {
			fill(clip, image.Rect(x+1, baseline-7, x+6, baseline-2).Intersect(r), colText)
			x += face.Advance
		}
		return
	}
	ascii := make([]byte, 0, len(n.Text))
	for _, ch := range n.Text {
		if ch < 0x20 || ch > 0x7e {
			ch = '?'
		}
		ascii = append(ascii, byte(ch))
	}
	d := font.Drawer{Dst: clip, Src: paletteUniforms[colText], Face: face, Dot: fixed.P(x, baseline)}
	d.DrawString(string(ascii))
}

// rawScreen is screencap's raw output: width, height, pixel format
// (1 = RGBA_8888) and colour space (0), little-endian, then the pixels.
func rawScreen(img *image.Paletted) []byte {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	out := make([]byte, 16, 16+4*w*h)
	binary.LittleEndian.PutUint32(out[0:], uint32(w))
	binary.LittleEndian.PutUint32(out[4:], uint32(h))
	binary.LittleEndian.PutUint32(out[8:], 1)
	rgba := make([][4]byte, len(img.Palette))
	for i, c := range img.Palette {
		r, g, b, a := c.RGBA()
		rgba[i] = [4]byte{byte(r >> 8), byte(g >> 8), byte(b >> 8), byte(a >> 8)}
	}
	for _, idx := range img.Pix {
		px := rgba[idx]
		out = append(out, px[:]...)
	}
	return out
}
