package adb

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
)

// pngSignature starts every PNG file.
const pngSignature = "\x89PNG\r\n\x1a\n"

// pngEnd is the IEND chunk every complete PNG ends with.
var pngEnd = []byte{0, 0, 0, 0, 'I', 'E', 'N', 'D', 0xae, 0x42, 0x60, 0x82}

// CheckPNG refuses data that is not a whole PNG image: its signature
// first and its IEND chunk last, so a screenshot cut off in transfer is
// never kept as if it were one. The error is ErrNotPNG.
func CheckPNG(data []byte) error {
	switch {
	case !bytes.HasPrefix(data, []byte(pngSignature)):
		return fmt.Errorf("%w (%s)", ErrNotPNG, describeOutput(data))
	case !bytes.HasSuffix(data, pngEnd):
		return fmt.Errorf("%w: cut off (no IEND chunk at its end)", ErrNotPNG)
	}
	return nil
}

// BlackOut paints the regions of a PNG screenshot black (what must not
// be kept: an account id, an e-mail address); with no region it returns
// data as it is.
func BlackOut(data []byte, regions []image.Rectangle) ([]byte, error) {
	if len(regions) == 0 {
		return data, nil
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("read the screenshot: %w", err)
	}
	canvas := image.NewRGBA(img.Bounds())
	draw.Draw(canvas, canvas.Bounds(), img, img.Bounds().Min, draw.Src)
	black := image.NewUniform(color.Black)
	for _, r := range regions {
		draw.Draw(canvas, r.Intersect(canvas.Bounds()), black, image.Point{}, draw.Src)
	}
	var out bytes.Buffer
	if err := png.Encode(&out, canvas); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}
