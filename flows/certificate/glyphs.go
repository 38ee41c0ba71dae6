package certificate

import (
	"encoding/binary"
	"errors"
)

// glyphSet is the set of characters of the Basic Multilingual Plane a
// TrueType font has a glyph for, read from its cmap (a bit per code
// point). It tells which characters the PDF can print.
//
// It is read here rather than with golang.org/x/image/font/sfnt, whose
// cmap support pulls golang.org/x/text into the build for encodings the
// Go fonts never use.
type glyphSet [0x10000 / 64]uint64

func (g *glyphSet) has(r rune) bool {
	return r >= 0 && r < 0x10000 && g[r/64]&(1<<(uint(r)%64)) != 0
}

func (g *glyphSet) add(r uint32) { g[r/64] |= 1 << (r % 64) }

var errBadFont = errors.New("unreadable TrueType cmap")

// readGlyphSet reads the format 4 (Unicode BMP) subtable of a TrueType
// font's cmap: platform 3 encoding 1 (Windows Unicode) or platform 0
// (Unicode).
func readGlyphSet(ttf []byte) (*glyphSet, error) {
	u16 := func(off int) (int, bool) {
		if off < 0 || off+2 > len(ttf) {
			return 0, false
		}
		return int(binary.BigEndian.Uint16(ttf[off:])), true
	}
	u32 := func(off int) (int, bool) {
		if off < 0 || off+4 > len(ttf) {
			return 0, false
		}
		return int(binary.BigEndian.Uint32(ttf[off:])), true
	}
	numTables, ok := u16(4)
	if !ok {
		return nil, errBadFont
	}
	cmap := -1
	for i := 0; i < numTables; i++ {
		rec := 12 + 16*i
		if rec+16 > len(ttf) {
			return nil, errBadFont
		}
		if string(ttf[rec:rec+4]) == "cmap" {
			cmap, _ = u32(rec + 8)
			break
		}
	}
	if cmap < 0 {
		return nil, errBadFont
	}
	sub := -1
	n, ok := u16(cmap + 2)
	if !ok {
		return nil, errBadFont
	}
	for i := 0; i < n; i++ {
		rec := cmap + 4 + 8*i
		platform, ok1 := u16(rec)
		encoding, ok2 := u16(rec + 2)
		off, ok3 := u32(rec + 4)
		if !ok1 || !ok2 || !ok3 {
			return nil, errBadFont
		}
		if format, _ := u16(cmap + off); format == 4 && (platform == 3 && encoding == 1 || platform == 0) {
			sub = cmap + off
			if platform == 3 {
				break
			}
		}
	}
	if sub < 0 {
		return nil, errBadFont
	}
	segX2, ok := u16(sub + 6)
	if !ok {
		return nil, errBadFont
	}
	ends, starts, deltas, rangeOffs := sub+14, sub+16+segX2, sub+16+2*segX2, sub+16+3*segX2
	g := new(glyphSet)
	for s := 0; s < segX2; s += 2 {
		end, ok1 := u16(ends + s)
		start, ok2 := u16(starts + s)
		delta, ok3 := u16(deltas + s)
		rangeOff, ok4 := u16(rangeOffs + s)
		if !ok1 || !ok2 || !ok3 || !ok4 {
			return nil, errBadFont
		}
		for c := start; c <= end && c < 0xFFFF; c++ {
			glyph := 0
			if rangeOff == 0 {
				glyph = (c + delta) & 0xFFFF
			} else {
				idx, ok := u16(rangeOffs + s + rangeOff + 2*(c-start))
				if !ok {
					return nil, errBadFont
				}
				if idx != 0 {
					glyph = (idx + delta) & 0xFFFF
				}
			}
			if glyph != 0 {
				g.add(uint32(c))
			}
		}
	}
	return g, nil
}
